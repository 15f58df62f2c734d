package snn.training;

import java.util.List;
import java.util.Map;

import snn.distributed.ProcessGroup;

/**
 * What the training loop asks of the processes of a data-parallel run, in one place: who leads, sending the saved state to the others, marking where a rank is (for the health check's messages), waiting for
 * everyone. Alone it is a group of one and every call returns at once. The loop is given its group by its caller
 * ({@link Trainer#withGroup}); nothing here reads a global one.
 *
 * @param group the process group of this run
 */
record Ranks(ProcessGroup group) {

    /** {@return the ranks of a process training alone} */
    static Ranks alone() {
        return new Ranks(ProcessGroup.single());
    }

    /** {@return whether this process writes the run folder and prints (rank 0)} */
    boolean leads() {
        return group.leads();
    }

    /** {@return the number of processes} */
    int size() {
        return group.size();
    }

    /** {@return this process's rank} */
    int rank() {
        return group.rank();
    }

    /** {@return the processes on this machine, which share its cores} */
    int localSize() {
        return group.localSize();
    }

    /** {@return the hosts of the ranks} */
    List<String> hosts() {
        return group.hosts();
    }

    /** {@return the group's facts for manifests (world size, backend, ...)} */
    Map<String, Object> describe() {
        return group.describe();
    }

    /** Rank 0's bytes on every rank (the state a resume starts from). */
    byte[] fromLeader(byte[] bytes, String what) {
        return group.broadcastBytes(bytes, what);
    }

    /** Marks where this rank is, so that a rank that hangs or dies is named with its place. */
    void at(String place) {
        group.at(place);
    }

    /** Waits until every rank got here. */
    void barrier(String where) {
        group.barrier(where);
    }
}
