package snn.distributed;

import java.time.Duration;

/**
 * Tells the rendezvous store, once every {@link #PERIOD}, that this rank's process is alive and where its training
 * is: it increments {@code beat/<rank>} and, when it changed, writes {@code where/<rank>}. When a collective fails,
 * the other ranks read these keys to name the rank that died (its count stopped) or hung (it is alive but behind).
 *
 * <p>It runs on a daemon thread with a store connection of its own, so that a long wait on the main connection never
 * delays a beat. It stops silently when the store is gone (the process hosting it ended).
 */
final class Heartbeat {

    /** The time between beats. */
    static final Duration PERIOD = Duration.ofSeconds(1);

    private final RendezvousStore store;
    private final int rank;
    private final Thread thread;
    private volatile String where = "start-up";
    private volatile boolean stopped;

    /**
     * Starts beating.
     *
     * @param store a connection to the rendezvous store used by this heartbeat alone
     * @param rank  this process's rank
     */
    Heartbeat(RendezvousStore store, int rank) {
        this.store = store;
        this.rank = rank;
        this.thread = new Thread(this::run, "snn-heartbeat-rank-" + rank);
        thread.setDaemon(true);
        thread.start();
    }

    /** Records where training is, e.g. {@code epoch 2, batch 7/16}; published with the next beat. */
    void at(String place) {
        where = place;
    }

    /** {@return where training was last recorded to be} */
    String where() {
        return where;
    }

    /** The store key that counts rank {@code r}'s beats. */
    static String beatKey(int r) {
        return "beat/" + r;
    }

    /** The store key that holds where rank {@code r}'s training is. */
    static String whereKey(int r) {
        return "where/" + r;
    }

    private void run() {
        String published = null;
        try {
            while (!stopped) {
                store.add(beatKey(rank), 1);
                String now = where;
                if (!now.equals(published)) {
                    store.set(whereKey(rank), now);
                    published = now;
                }
                Thread.sleep(PERIOD.toMillis());
            }
        } catch (InterruptedException e) {
            // stopped
        } catch (RuntimeException e) {
            // the store is gone: the process hosting it ended, which the training thread learns on its own
        }
    }

    /**
     * Stops beating and waits (briefly) for the thread to end.
     *
     * @return whether the thread ended; if not, it may still be inside a call on its store, which must then not be
     *         freed
     */
    boolean close() {
        stopped = true;
        thread.interrupt();
        try {
            thread.join(PERIOD.toMillis() * 2);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return !thread.isAlive();
    }
}
