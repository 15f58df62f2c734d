package snn.distributed;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import snn.core.DistributedException;

/**
 * Where this process stands in a distributed run: the launch contract of {@code torchrun}, read from the environment
 * variables it sets ({@code RANK}, {@code WORLD_SIZE}, {@code LOCAL_RANK}, {@code LOCAL_WORLD_SIZE},
 * {@code MASTER_ADDR}, {@code MASTER_PORT}, and for a launcher that hosts the store itself
 * {@code TORCHELASTIC_USE_AGENT_STORE} and {@code TORCHELASTIC_RESTART_COUNT}). A SLURM script or any other launcher
 * that sets the same variables starts snn the same way; {@code snn train --nproc N} sets them for its own workers
 * ({@link #variables()}).
 *
 * <p>Without {@code RANK}, {@code WORLD_SIZE}, {@code MASTER_ADDR} and {@code MASTER_PORT} the process trains alone
 * ({@link #SINGLE}); with only some of them it is an error naming the others.
 *
 * @param rank           this process's rank, from 0 to {@code worldSize - 1}; rank 0 alone writes the run folder
 * @param worldSize      the number of processes
 * @param localRank      the rank among the processes of this machine
 * @param localWorldSize the processes on this machine (they share its cores)
 * @param masterAddr     the host of the rendezvous store
 * @param masterPort     its TCP port
 * @param agentStore     whether the launcher hosts the store (then every rank is its client, under the prefix
 *                       {@code /worker/attempt_<restartCount>}, as {@code torchrun} arranges); else rank 0 hosts it
 * @param restartCount   how often the launcher restarted the workers (0 at first)
 */
public record DistributedEnv(int rank, int worldSize, int localRank, int localWorldSize, String masterAddr,
        int masterPort, boolean agentStore, int restartCount) {

    /** {@code RANK}: this process's rank. */
    public static final String RANK = "RANK";
    /** {@code WORLD_SIZE}: the number of processes. */
    public static final String WORLD_SIZE = "WORLD_SIZE";
    /** {@code LOCAL_RANK}: the rank among this machine's processes (default: {@code RANK}). */
    public static final String LOCAL_RANK = "LOCAL_RANK";
    /** {@code LOCAL_WORLD_SIZE}: the processes on this machine (default: {@code WORLD_SIZE}). */
    public static final String LOCAL_WORLD_SIZE = "LOCAL_WORLD_SIZE";
    /** {@code MASTER_ADDR}: the host of the rendezvous store. */
    public static final String MASTER_ADDR = "MASTER_ADDR";
    /** {@code MASTER_PORT}: the port of the rendezvous store. */
    public static final String MASTER_PORT = "MASTER_PORT";
    /** {@code TORCHELASTIC_USE_AGENT_STORE}: {@code True} when the launcher hosts the store. */
    public static final String USE_AGENT_STORE = "TORCHELASTIC_USE_AGENT_STORE";
    /** {@code TORCHELASTIC_RESTART_COUNT}: the launcher's restarts so far. */
    public static final String RESTART_COUNT = "TORCHELASTIC_RESTART_COUNT";

    /** The variables that must be set together for a distributed run. */
    static final List<String> REQUIRED = List.of(RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT);

    /** A process training alone. */
    public static final DistributedEnv SINGLE = new DistributedEnv(0, 1, 0, 1, "127.0.0.1", 0, false, 0);

    /**
     * Checks that the numbers fit together.
     *
     * @throws DistributedException naming the variable and the expected range
     */
    public DistributedEnv {
        if (worldSize < 1) {
            throw invalid(WORLD_SIZE, worldSize, "at least 1");
        }
        if (rank < 0 || rank >= worldSize) {
            throw invalid(RANK, rank, "from 0 to WORLD_SIZE - 1 = " + (worldSize - 1));
        }
        if (localWorldSize < 1 || localWorldSize > worldSize) {
            throw invalid(LOCAL_WORLD_SIZE, localWorldSize, "from 1 to WORLD_SIZE = " + worldSize);
        }
        if (localRank < 0 || localRank >= localWorldSize) {
            throw invalid(LOCAL_RANK, localRank, "from 0 to LOCAL_WORLD_SIZE - 1 = " + (localWorldSize - 1));
        }
        if (worldSize > 1 && (masterPort < 1 || masterPort > 65535)) {
            throw invalid(MASTER_PORT, masterPort, "a TCP port from 1 to 65535");
        }
        if (masterAddr == null || masterAddr.isBlank()) {
            throw new DistributedException(MASTER_ADDR + " is empty; expected the host name or address of rank 0");
        }
        if (restartCount < 0) {
            throw invalid(RESTART_COUNT, restartCount, "at least 0");
        }
    }

    /** {@return the contract read from this process's environment} @see #from(Map) */
    public static DistributedEnv fromEnvironment() {
        return from(System.getenv());
    }

    /**
     * Reads the contract from environment variables.
     *
     * @param env variable names to values
     * @return {@link #SINGLE} when none of {@code RANK}, {@code WORLD_SIZE}, {@code MASTER_ADDR}, {@code MASTER_PORT}
     *         is set, else the process's place in the run
     * @throws DistributedException when only some of those are set (naming the missing ones), or a value is not a
     *                              number in its range
     */
    public static DistributedEnv from(Map<String, String> env) {
        List<String> missing = new ArrayList<>();
        for (String name : REQUIRED) {
            if (value(env, name) == null) {
                missing.add(name);
            }
        }
        if (missing.size() == REQUIRED.size()) {
            return SINGLE;
        }
        if (!missing.isEmpty()) {
            List<String> set = new ArrayList<>(REQUIRED);
            set.removeAll(missing);
            throw new DistributedException(String.join(", ", set) + (set.size() == 1 ? " is" : " are")
                    + " set but " + String.join(", ", missing) + (missing.size() == 1 ? " is" : " are")
                    + " not: a distributed run needs all of " + String.join(", ", REQUIRED)
                    + " (torchrun sets them; see docs/distributed.md for a SLURM script), a single process none");
        }
        int rank = number(env, RANK, null);
        int world = number(env, WORLD_SIZE, null);
        return new DistributedEnv(rank, world, number(env, LOCAL_RANK, rank), number(env, LOCAL_WORLD_SIZE, world),
                value(env, MASTER_ADDR), number(env, MASTER_PORT, null), "True".equals(value(env, USE_AGENT_STORE)),
                number(env, RESTART_COUNT, 0));
    }

    /** {@return whether more than one process trains} */
    public boolean distributed() {
        return worldSize > 1;
    }

    /**
     * The variables that give a process this place, as a launcher sets them for its workers.
     *
     * @return variable names to values, in the order of the contract
     */
    public Map<String, String> variables() {
        Map<String, String> v = new LinkedHashMap<>();
        v.put(RANK, Integer.toString(rank));
        v.put(WORLD_SIZE, Integer.toString(worldSize));
        v.put(LOCAL_RANK, Integer.toString(localRank));
        v.put(LOCAL_WORLD_SIZE, Integer.toString(localWorldSize));
        v.put(MASTER_ADDR, masterAddr);
        v.put(MASTER_PORT, Integer.toString(masterPort));
        if (agentStore) {
            v.put(USE_AGENT_STORE, "True");
        }
        v.put(RESTART_COUNT, Integer.toString(restartCount));
        return v;
    }

    /** {@return e.g. {@code rank 1 of 2 (local 1 of 2), store 127.0.0.1:29500}} */
    @Override
    public String toString() {
        return "rank " + rank + " of " + worldSize + " (local " + localRank + " of " + localWorldSize + "), store "
                + masterAddr + ":" + masterPort + (agentStore ? " (the launcher's)" : "");
    }

    private static String value(Map<String, String> env, String name) {
        String v = env.get(name);
        return v == null || v.isBlank() ? null : v.trim();
    }

    private static int number(Map<String, String> env, String name, Integer fallback) {
        String v = value(env, name);
        if (v == null) {
            return fallback;
        }
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new DistributedException(name + "=" + v + " is not a whole number");
        }
    }

    private static DistributedException invalid(String name, int value, String expected) {
        return new DistributedException(name + "=" + value + ": expected " + expected);
    }
}
