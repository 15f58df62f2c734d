package snn.distributed;

import java.time.Duration;

/**
 * The process group of this process, as {@code torch.distributed}'s default group: {@link #init} joins the run the
 * environment describes once, and training ({@code snn.training.Trainer}, {@code Evaluator}) uses {@link #group()}
 * from then on. Without {@code init} (or with a world of one) the group is {@link ProcessGroup#single()}, and
 * training runs exactly as it does alone.
 *
 * <p>One distributed run per process: a process joins one group, trains, and ends.
 */
public final class Distributed {

    private static volatile ProcessGroup group = ProcessGroup.single();

    private Distributed() {
    }

    /**
     * Joins the run {@code env} describes and makes it this process's group.
     *
     * @param env     this process's place in the run (e.g. {@link DistributedEnv#fromEnvironment()})
     * @param timeout the longest any wait may take (joining, a collective)
     * @return the group
     * @throws IllegalStateException                when this process already joined a group of more than one
     * @throws snn.core.DistributedException as {@link ProcessGroup#join}
     */
    public static synchronized ProcessGroup init(DistributedEnv env, Duration timeout) {
        if (group.size() > 1) {
            throw new IllegalStateException("this process already joined a distributed run (" + group.size()
                    + " processes); end it with shutdown() first");
        }
        group = ProcessGroup.join(env, timeout);
        return group;
    }

    /** {@return this process's group: the one {@link #init} joined, else {@link ProcessGroup#single()}} */
    public static ProcessGroup group() {
        return group;
    }

    /** Closes this process's group, if it joined one; the process trains alone afterwards. */
    public static synchronized void shutdown() {
        group.close();
        group = ProcessGroup.single();
    }
}
