package snn.distributed;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The health of a run's ranks, as {@code torch.distributed.elastic}'s agent watches its workers: this rank's
 * {@link Heartbeat}, the failures ranks report, and the diagnosis that names the rank at fault when a collective
 * failed. c10d itself only says that a connection closed or a receive timed out; the monitor answers which rank:
 * one that reported a failure of its own ({@link #report}), else one whose heartbeat stopped (its process ended or
 * was stopped), else one that is alive but behind (a hang).
 *
 * <p>It reads and writes the group's store through the group's connection ({@code failed/<rank>}, the counter
 * {@code failures}, {@code beat/<rank>}, {@code where/<rank>}); its heartbeat has a connection of its own, which the
 * monitor owns from {@link #startHeartbeat} until {@link #release()}.
 */
final class HealthMonitor {

    /** The longest a failed collective spends finding the rank at fault before it reports without one. */
    static final Duration DIAGNOSIS_LIMIT = Duration.ofSeconds(6);

    private static final String FAILURES = "failures";

    private final RendezvousStore store;
    private final int rank;
    private final int size;
    private final Duration timeout;
    private RendezvousStore beatConnection;
    private Heartbeat heartbeat;

    /**
     * A monitor of the ranks of a group; its heartbeat starts with {@link #startHeartbeat}.
     *
     * @param store   the group's connection to the store (not owned)
     * @param rank    this process's rank
     * @param size    the number of ranks
     * @param timeout the group's timeout, for messages about hangs
     */
    HealthMonitor(RendezvousStore store, int rank, int size, Duration timeout) {
        this.store = store;
        this.rank = rank;
        this.size = size;
        this.timeout = timeout;
    }

    /**
     * Starts this rank's heartbeat.
     *
     * @param connection a connection to the store for the heartbeat alone, owned by the monitor from now on
     */
    void startHeartbeat(RendezvousStore connection) {
        beatConnection = connection;
        heartbeat = new Heartbeat(connection, rank);
    }

    /**
     * Records where this rank's training is; published with the next beat.
     *
     * @param place e.g. {@code epoch 2, batch 7/16}
     */
    void at(String place) {
        if (heartbeat != null) {
            heartbeat.at(place);
        }
    }

    /** {@return where this rank's training was last recorded to be, {@code start-up} before the heartbeat} */
    String where() {
        return heartbeat == null ? "start-up" : heartbeat.where();
    }

    /**
     * Tells the other ranks that this one stops because of {@code message}; their waits on the store end at once.
     *
     * @param message why this rank stops
     * @throws RuntimeException from c10d when the store is gone
     */
    void report(String message) {
        store.set("failed/" + rank, message);
        store.add(FAILURES, 1);
    }

    /** {@return the first failure another rank reported, e.g. {@code rank 1 failed: ...}} */
    Optional<String> reportedFailure() {
        if (store.add(FAILURES, 0) == 0) {
            return Optional.empty();
        }
        for (int r = 0; r < size; r++) {
            if (r != rank && store.has("failed/" + r)) {
                return Optional.of("rank " + r + " failed: " + store.get("failed/" + r));
            }
        }
        return Optional.empty();
    }

    /**
     * Which rank is at fault after a collective failed, found in at most {@link #DIAGNOSIS_LIMIT}: a reported
     * failure, else the ranks whose heartbeats stopped, else the live ranks that are behind this one.
     *
     * @return a phrase naming the rank, e.g. {@code rank 1 stopped responding (its process ended or was stopped)}
     */
    String culprit() {
        CompletableFuture<String> diagnosis = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                diagnosis.complete(diagnose());
            } catch (RuntimeException e) {
                diagnosis.complete(store.host() + " ended: the rendezvous store it hosts is gone");
            }
        }, "snn-diagnosis");
        t.setDaemon(true);
        t.start();
        try {
            return diagnosis.get(DIAGNOSIS_LIMIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            return "no rank could be named: the rendezvous store (hosted by " + store.host() + ") did not answer"
                    + " within " + ProcessGroup.seconds(DIAGNOSIS_LIMIT);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "no rank could be named (interrupted)";
        } catch (ExecutionException e) {
            return "no rank could be named (" + e.getCause() + ")";
        }
    }

    private String diagnose() {
        Optional<String> reported = reportedFailure();
        if (reported.isPresent()) {
            return reported.get();
        }
        long[] before = beats();
        try {
            Thread.sleep(Heartbeat.PERIOD.toMillis() * 5 / 2);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        long[] after = beats();
        List<String> silent = new ArrayList<>();
        for (int r = 0; r < size; r++) {
            if (r != rank && after[r] == before[r]) {
                silent.add(Integer.toString(r));
            }
        }
        if (!silent.isEmpty()) {
            return ProcessGroup.ranks(silent) + " stopped responding (" + (silent.size() == 1
                    ? "its process ended or was stopped)" : "their processes ended or were stopped)");
        }
        List<String> behind = new ArrayList<>();
        String here = where();
        for (int r = 0; r < size; r++) {
            String key = Heartbeat.whereKey(r);
            if (r != rank && store.has(key)) {
                String there = store.get(key);
                if (!there.equals(here)) {
                    behind.add("rank " + r + " (at " + there + ")");
                }
            }
        }
        if (!behind.isEmpty()) {
            return String.join(", ", behind) + (behind.size() == 1 ? " is" : " are") + " alive but did not reach this"
                    + " step within " + ProcessGroup.seconds(timeout) + " (hung?)";
        }
        return "every other rank is alive and at the same step; none reported a failure";
    }

    private long[] beats() {
        long[] b = new long[size];
        for (int r = 0; r < size; r++) {
            b[r] = store.add(Heartbeat.beatKey(r), 0);
        }
        return b;
    }

    /**
     * Stops the heartbeat and waits (briefly) for its thread to end.
     *
     * @return whether it ended (or never started); if not, it may still be inside a call on its connection, which
     *         must then not be released
     */
    boolean stop() {
        return heartbeat == null || heartbeat.close();
    }

    /** Releases the heartbeat's connection; only after {@link #stop()} returned true. */
    void release() {
        if (beatConnection != null) {
            beatConnection.close();
        }
    }
}
