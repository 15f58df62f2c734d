package snn.distributed;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.javacpp.chrono.Milliseconds;
import org.bytedeco.pytorch.ByteVector;
import org.bytedeco.pytorch.PrefixStore;
import org.bytedeco.pytorch.Store;
import org.bytedeco.pytorch.StringVector;
import org.bytedeco.pytorch.TCPStore;
import org.bytedeco.pytorch.TCPStoreOptions;

import snn.core.DistributedException;

/**
 * One connection to a run's rendezvous store, c10d's {@code TCPStore} on {@code MASTER_ADDR:MASTER_PORT} (under the
 * launcher's {@code /worker/attempt_<n>} prefix when the launcher hosts it, as {@code torchrun}'s agent store is):
 * small texts and counters by key, the waits for keys with their timeout, and the rendezvous itself (every rank says
 * it is here and where). This is {@code torch.distributed}'s {@code Store}; it knows nothing of collectives or of
 * which rank is at fault, which {@link HealthMonitor} reads from the keys it writes.
 *
 * <p><b>Native memory.</b> The connection (and, for the server, the store itself) is held with a reference of its
 * own from {@link #connect} until {@link #close()}, whatever {@code PointerScope} is open then. The key and value
 * vectors of each call are freed as it returns. A connection must not be closed while another thread may be inside a
 * call on it.
 */
final class RendezvousStore implements AutoCloseable {

    /** How often waits look for the keys they wait for and for failures of other ranks. */
    static final Duration POLL = Duration.ofMillis(50);

    private final DistributedEnv env;
    private final Duration timeout;
    private final Store store;
    private boolean closed;

    private RendezvousStore(DistributedEnv env, Duration timeout, Store store) {
        this.env = env;
        this.timeout = timeout;
        this.store = store;
    }

    /**
     * A new connection to the store {@code env} names: its server when {@code server} (rank 0 without a launcher),
     * else a client.
     *
     * @param env     where the store is, and this process's rank for messages
     * @param timeout the longest a connection attempt or a store call waits
     * @param server  whether this process hosts the store
     * @return the connection, owned by the caller until {@link #close()}
     * @throws DistributedException when the port is in use (server), the store cannot be reached within the timeout,
     *                              or c10d fails otherwise; each names the address and what to check
     */
    static RendezvousStore connect(DistributedEnv env, Duration timeout, boolean server) {
        Store s = open(env, timeout, server);
        s.retainReference();
        return new RendezvousStore(env, timeout, s);
    }

    /**
     * A connection to the store for a c10d object to take over (a backend's): see {@link #handOver}.
     *
     * @param env     where the store is
     * @param timeout the longest a store call waits
     * @return a client connection that Java does not own once passed to the c10d constructor and handed over
     */
    static Store openForBackend(DistributedEnv env, Duration timeout) {
        return open(env, timeout, false);
    }

    /** {@return what hosts this store, for messages: {@code the launcher} or {@code rank 0}} */
    String host() {
        return env.agentStore() ? "the launcher" : "rank 0";
    }

    /**
     * The rendezvous: writes this rank's host name, waits until every rank of the world has written its own, and
     * returns them.
     *
     * @param hostName this process's host name
     * @param stop     the failure another rank reported, if any (the wait then stops at once with it)
     * @return every rank's host name, by rank
     * @throws DistributedException naming the ranks that did not join within the timeout, or the reported failure
     */
    List<String> rendezvous(String hostName, Supplier<Optional<String>> stop) {
        List<String> keys = keysOfEveryRank("join/");
        set(keys.get(env.rank()), hostName);
        await(keys, "to join", stop);
        List<String> hosts = new ArrayList<>();
        for (String k : keys) {
            hosts.add(get(k));
        }
        return List.copyOf(hosts);
    }

    /**
     * {@return {@code prefix + r} for every rank r of the world, in rank order}
     *
     * @param prefix a key prefix ending in {@code /}
     */
    List<String> keysOfEveryRank(String prefix) {
        List<String> keys = new ArrayList<>();
        for (int r = 0; r < env.worldSize(); r++) {
            keys.add(prefix + r);
        }
        return keys;
    }

    /**
     * Waits until all {@code keys} exist, polling every {@link #POLL}.
     *
     * @param keys  the keys, each ending in {@code /<rank>} (for the message naming the missing ranks)
     * @param doing what the ranks are waiting for the others to do, e.g. {@code to join}
     * @param stop  the failure another rank reported, if any: the wait then stops at once with it
     * @throws DistributedException naming the missing ranks after the timeout, the reported failure, an interrupt,
     *                              or the loss of the store
     */
    void await(List<String> keys, String doing, Supplier<Optional<String>> stop) {
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            while (!has(keys.toArray(String[]::new))) {
                stop.get().ifPresent(f -> {
                    throw new DistributedException("rank " + env.rank() + " stops: " + f);
                });
                if (System.nanoTime() > deadline) {
                    List<String> missing = new ArrayList<>();
                    for (String k : keys) {
                        if (!has(k)) {
                            missing.add(k.substring(k.lastIndexOf('/') + 1));
                        }
                    }
                    throw new DistributedException(ProcessGroup.ranks(missing) + " did not come " + doing + " within "
                            + ProcessGroup.seconds(timeout) + " (rank " + env.rank() + " waited; world size "
                            + env.worldSize() + "): start " + (missing.size() == 1 ? "it" : "them") + " with the same "
                            + DistributedEnv.MASTER_ADDR + ", " + DistributedEnv.MASTER_PORT + " and "
                            + DistributedEnv.WORLD_SIZE + ", or raise the timeout (--timeout) if loading the data takes"
                            + " longer");
                }
                Thread.sleep(POLL.toMillis());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DistributedException("rank " + env.rank() + " was interrupted while waiting for the others "
                    + doing, e);
        } catch (DistributedException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new DistributedException("rank " + env.rank() + " lost the rendezvous store while waiting for the"
                    + " others " + doing + ": " + host() + " ended (" + C10dMessages.of(e) + ")", e);
        }
    }

    /**
     * {@return whether every one of the keys exists}
     *
     * @param keys the keys
     */
    boolean has(String... keys) {
        try (PointerScope scope = new PointerScope()) {
            return store.check(new StringVector(keys));
        }
    }

    /**
     * Sets a key to a text, in UTF-8.
     *
     * @param key   the key
     * @param value the text
     */
    void set(String key, String value) {
        try (PointerScope scope = new PointerScope()) {
            store.set(key, new ByteVector(value.getBytes(StandardCharsets.UTF_8)));
        }
    }

    /**
     * {@return the text under a key, waiting (up to the timeout) until it exists}
     *
     * @param key the key
     */
    String get(String key) {
        try (PointerScope scope = new PointerScope()) {
            return new String(store.get(key).get(), StandardCharsets.UTF_8);
        }
    }

    /**
     * Adds to a counter (created at 0); adding 0 reads it.
     *
     * @param key   the counter's key
     * @param delta what to add
     * @return the counter's new value
     */
    long add(String key, long delta) {
        return store.add(key, delta);
    }

    /** Releases this connection (once). */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            store.releaseReference();
        }
    }

    /**
     * The options of a {@code TCPStore} on {@code port}: the one place they are set, for the ranks' stores and the
     * launcher's.
     *
     * @param port    the port; ports above 32767 pass through the cast to {@code short} unchanged
     * @param server  whether this process hosts the store
     * @param timeout the longest a connection attempt or a store call waits
     * @return the options, owned by the caller
     */
    static TCPStoreOptions options(int port, boolean server, Duration timeout) {
        TCPStoreOptions options = new TCPStoreOptions();
        options.port((short) port);
        options.isServer(server);
        options.waitWorkers(false);
        options.timeout(new Milliseconds(timeout.toMillis()));
        return options;
    }

    /**
     * Gives up Java's ownership of a store that was just passed to a c10d constructor. c10d takes its stores through
     * intrusive pointers, and one made with {@code new} from Java (as {@code TCPStore} and {@code PrefixStore} are) is
     * then owned by that c10d object alone, which frees it with itself: freeing it from Java too would free it twice.
     * Objects c10d makes itself ({@code ProcessGroupGloo}, its options) are reference-counted and stay Java's to
     * release. So Java keeps a reference it never releases (an enclosing {@code PointerScope} cannot free it) and
     * takes the object away from the garbage collector.
     *
     * @param p a store just passed to a c10d constructor
     */
    static void handOver(Pointer p) {
        p.retainReference();
        p.deallocate(false);
    }

    /**
     * A new connection to the store {@code env} names: its server (when {@code server}) or a client, under the
     * launcher's prefix when the launcher hosts it. The caller owns it (and, through it, the TCP connection).
     */
    private static Store open(DistributedEnv env, Duration timeout, boolean server) {
        String where = env.masterAddr() + ":" + env.masterPort();
        try {
            TCPStore tcp = new TCPStore(env.masterAddr(), options(env.masterPort(), server, timeout));
            if (!env.agentStore()) {
                return tcp;
            }
            Store view = new PrefixStore("/worker/attempt_" + env.restartCount(), tcp);
            handOver(tcp);
            return view;
        } catch (RuntimeException e) {
            String c10d = C10dMessages.of(e);
            if (server && C10dMessages.addressInUse(c10d)) {
                throw new DistributedException("rank 0 cannot host the rendezvous store on port " + env.masterPort()
                        + " (" + DistributedEnv.MASTER_PORT + "): the port is in use by another program or run. Choose"
                        + " a free port with " + DistributedEnv.MASTER_PORT + "=..., or leave it unset with snn train"
                        + " --nproc, which picks one", e);
            }
            if (C10dMessages.connectTimedOut(c10d)) {
                throw new DistributedException("rank " + env.rank() + " cannot reach the rendezvous store at " + where
                        + " (" + DistributedEnv.MASTER_ADDR + ":" + DistributedEnv.MASTER_PORT + ") within "
                        + ProcessGroup.seconds(timeout) + ": " + (env.agentStore() ? "the launcher" : "rank 0")
                        + " is not running there, or that address is not reachable from this host (" + c10d + ")", e);
            }
            throw new DistributedException("rank " + env.rank() + " cannot " + (server ? "host" : "connect to")
                    + " the rendezvous store at " + where + ": " + c10d, e);
        }
    }
}
