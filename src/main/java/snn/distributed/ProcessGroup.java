package snn.distributed;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.javacpp.chrono.Milliseconds;
import org.bytedeco.pytorch.AllreduceOptions;
import org.bytedeco.pytorch.Backend;
import org.bytedeco.pytorch.BarrierOptions;
import org.bytedeco.pytorch.BroadcastOptions;
import org.bytedeco.pytorch.ByteVector;
import org.bytedeco.pytorch.GlooDeviceVector;
import org.bytedeco.pytorch.PrefixStore;
import org.bytedeco.pytorch.ProcessGroupGloo;
import org.bytedeco.pytorch.ReduceOp;
import org.bytedeco.pytorch.Store;
import org.bytedeco.pytorch.StringVector;
import org.bytedeco.pytorch.TCPStore;
import org.bytedeco.pytorch.TCPStoreOptions;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.Work;
import org.bytedeco.pytorch.global.torch;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import snn.config.ConfigLoader;
import snn.core.DistributedException;
import snn.runtime.Device;
import snn.runtime.Tensors;
import snn.runtime.TorchRuntime;

/**
 * The processes of one data-parallel run, joined through c10d: a {@code TCPStore} for rendezvous and small messages,
 * and a collective backend for tensors ({@code ProcessGroupGloo} on the CPU; {@code ProcessGroupNCCL} when the device
 * is CUDA, which needs a CUDA build and is unmeasured). A process training alone has the {@link #single()} group, on
 * which every operation returns at once.
 *
 * <p><b>Failures.</b> Every wait is bounded by the group's timeout. A collective that fails (a peer's connection
 * closed, or nothing arrived within the timeout) throws a {@link DistributedException} that names the rank at fault:
 * one that reported a failure of its own ({@link #fail}), else one whose {@link Heartbeat} stopped (its process ended
 * or was stopped), else one that is alive but behind (a hang). Waits on the store also stop as soon as another rank
 * reports a failure.
 *
 * <p><b>Native memory.</b> The group owns its two store connections (its own and its heartbeat's), the backend, and
 * the backend's options and device: each is held with a reference of its own from its creation, whatever
 * {@code PointerScope} is open then, and {@link #close()} releases them. The backend has a third store connection,
 * which it owns itself: c10d takes stores made from Java over through intrusive pointers (see {@code handOver}), so
 * it is freed with the backend and never from Java. A group whose collective failed keeps everything (c10d cannot
 * tear a broken group down reliably): the process is about to end. Tensors made for an operation are freed when it
 * returns.
 *
 * <p>Operations are called from one thread (the training thread), in the same order on every rank.
 */
public final class ProcessGroup implements AutoCloseable {

    /** How often waits on the store look for the keys they wait for and for failures of other ranks. */
    static final Duration POLL = Duration.ofMillis(50);

    /** The longest a failed collective spends finding the rank at fault before it reports without one. */
    static final Duration DIAGNOSIS_LIMIT = Duration.ofSeconds(6);

    /** How long a failing rank that hosts the store keeps it up for the others to read its failure. */
    static final Duration LINGER = Duration.ofSeconds(2);

    private static final String FAILURES = "failures";
    private static final ObjectMapper JSON = ConfigLoader.mapper();
    private static final ProcessGroup SINGLE = new ProcessGroup(DistributedEnv.SINGLE, Duration.ZERO, List.of(),
            null);

    private final DistributedEnv env;
    private final Duration timeout;
    /** Every native object the group holds a reference to, in the order they were made. */
    private final List<Pointer> owned;
    private final Store store;
    private List<String> hosts;
    private Heartbeat heartbeat;
    private Backend backend;
    private Device device = Device.CPU;
    private boolean broken;
    private boolean closed;

    private ProcessGroup(DistributedEnv env, Duration timeout, List<Pointer> owned, Store store) {
        this.env = env;
        this.timeout = timeout;
        this.owned = owned;
        this.store = store;
        this.hosts = List.of();
    }

    /** {@return the group of a process training alone: rank 0 of 1, every operation immediate} */
    public static ProcessGroup single() {
        return SINGLE;
    }

    /**
     * Joins the run {@code env} describes: connects to the rendezvous store (rank 0 hosts it unless the launcher
     * does), waits until every rank has joined, and starts this rank's heartbeat. The collective backend is connected
     * at the first collective, on the device {@link TorchRuntime} was initialised with by then.
     *
     * @param env     this process's place in the run; {@link DistributedEnv#SINGLE} gives {@link #single()}
     * @param timeout the longest any wait may take: for the store, for the other ranks to join, for a collective
     * @return the group
     * @throws DistributedException when the store's port is in use (rank 0), the store cannot be reached, or a rank
     *                              did not join within the timeout (naming it)
     */
    public static ProcessGroup join(DistributedEnv env, Duration timeout) {
        if (!env.distributed()) {
            return single();
        }
        TorchRuntime.ensureInitialised();
        List<Pointer> owned = new ArrayList<>();
        Store store = connect(env, timeout, env.rank() == 0 && !env.agentStore());
        owned.add(store.retainReference());
        ProcessGroup group = new ProcessGroup(env, timeout, owned, store);
        try {
            group.set("join/" + env.rank(), localHost());
            List<String> keys = new ArrayList<>();
            for (int r = 0; r < env.worldSize(); r++) {
                keys.add("join/" + r);
            }
            group.await(keys, "to join");
            List<String> hosts = new ArrayList<>();
            for (String k : keys) {
                hosts.add(group.get(k));
            }
            group.hosts = List.copyOf(hosts);
            group.heartbeat = new Heartbeat(group.own(connect(env, timeout, false)), env.rank());
            return group;
        } catch (RuntimeException e) {
            owned.forEach(Pointer::releaseReference);
            throw e;
        }
    }

    /** {@return this process's rank, from 0 to {@link #size()} - 1} */
    public int rank() {
        return env.rank();
    }

    /** {@return the number of processes} */
    public int size() {
        return env.worldSize();
    }

    /** {@return the processes on this machine, which share its cores} */
    public int localSize() {
        return env.localWorldSize();
    }

    /** {@return whether this is rank 0, the one that writes the run folder and prints progress} */
    public boolean leads() {
        return env.rank() == 0;
    }

    /** {@return the host name of every rank, by rank} */
    public List<String> hosts() {
        return size() == 1 ? List.of(localHost()) : hosts;
    }

    /** {@return the longest any wait of this group may take} */
    public Duration timeout() {
        return timeout;
    }

    /**
     * The facts of this group for a run's manifest.
     *
     * @return {@code world_size}, and for more than one process the {@code backend} ({@code gloo}, or {@code nccl}
     *         when the runtime's device is CUDA) and the {@code hosts} by rank
     */
    public Map<String, Object> describe() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("world_size", size());
        if (size() > 1) {
            m.put("backend", backendFor(TorchRuntime.ensureInitialised().device()));
            m.put("hosts", hosts);
        }
        return m;
    }

    private static String backendFor(Device device) {
        return device == Device.CUDA ? "nccl" : "gloo";
    }

    /**
     * Records where this rank's training is, e.g. {@code epoch 2, batch 7/16}: the other ranks read it to tell a hung
     * rank from a dead one, and a failure message says where it happened.
     *
     * @param place a short description of the current step
     */
    public void at(String place) {
        if (heartbeat != null) {
            heartbeat.at(place);
        }
    }

    // ----- collectives (the same calls, in the same order, on every rank) ----------------------------------------

    /**
     * Sums a tensor over all ranks, in place; every rank ends with the same values.
     *
     * @param t         a contiguous tensor on the group's device (the CPU for Gloo)
     * @param operation what the sum is for, for messages (e.g. {@code the gradient all-reduce})
     * @throws DistributedException naming the rank at fault when a peer died or hung
     */
    public void allReduceSum(Tensor t, String operation) {
        allReduce(t, ReduceOp.RedOpType.SUM, operation);
    }

    /**
     * Replaces each element of a tensor with its maximum over all ranks, in place.
     *
     * @param t         a contiguous tensor on the group's device
     * @param operation what it is for, for messages
     * @throws DistributedException naming the rank at fault when a peer died or hung
     */
    public void allReduceMax(Tensor t, String operation) {
        allReduce(t, ReduceOp.RedOpType.MAX, operation);
    }

    /**
     * Sums numbers over all ranks (in double precision).
     *
     * @param values    this rank's numbers; every rank passes as many
     * @param operation what they are, for messages
     * @return the sums, the same on every rank; {@code values} itself for a single process
     * @throws DistributedException naming the rank at fault when a peer died or hung
     */
    public double[] sum(double[] values, String operation) {
        if (size() == 1) {
            return values;
        }
        double[] out = new double[values.length];
        reduce(MemorySegment.ofArray(values), MemorySegment.ofArray(out), values.length, torch.ScalarType.Double,
                ReduceOp.RedOpType.SUM, operation);
        return out;
    }

    /**
     * The largest value of each number over all ranks.
     *
     * @param values    this rank's numbers; every rank passes as many
     * @param operation what they are, for messages
     * @return the maxima, the same on every rank; {@code values} itself for a single process
     * @throws DistributedException naming the rank at fault when a peer died or hung
     */
    public long[] max(long[] values, String operation) {
        if (size() == 1) {
            return values;
        }
        long[] out = new long[values.length];
        reduce(MemorySegment.ofArray(values), MemorySegment.ofArray(out), values.length, torch.ScalarType.Long,
                ReduceOp.RedOpType.MAX, operation);
        return out;
    }

    /** Reduces {@code n} numbers of {@code type} from {@code in} over the ranks into {@code out}, through a tensor. */
    private void reduce(MemorySegment in, MemorySegment out, int n, torch.ScalarType type, ReduceOp.RedOpType op,
            String operation) {
        try (PointerScope scope = new PointerScope()) {
            Tensor t = cpuTensor(type, n);
            MemorySegment.copy(in, 0, memory(t), 0, in.byteSize());
            Tensor onDevice = toDevice(t);
            allReduce(onDevice, op, operation);
            MemorySegment.copy(memory(onDevice.cpu()), 0, out, 0, out.byteSize());
        }
    }

    /**
     * Copies rank 0's values of a tensor into every rank's, in place.
     *
     * @param t         a contiguous tensor on the group's device, of the same shape and type on every rank
     * @param operation what is broadcast, for messages
     * @throws DistributedException naming the rank at fault when a peer died or hung
     */
    public void broadcast(Tensor t, String operation) {
        if (size() == 1) {
            return;
        }
        collective(operation, () -> backend().broadcast(new TensorVector(t), new BroadcastOptions().rootRank(0)));
    }

    /**
     * Rank 0's bytes on every rank, through the collective backend (for payloads too large for the store, such as a
     * training state).
     *
     * @param bytes     rank 0's bytes; ignored on the other ranks (pass {@code null} there)
     * @param operation what is sent, for messages
     * @return rank 0's bytes
     * @throws DistributedException naming the rank at fault when a peer died or hung
     */
    public byte[] broadcastBytes(byte[] bytes, String operation) {
        if (size() == 1) {
            return bytes;
        }
        try (PointerScope scope = new PointerScope()) {
            Tensor length = cpuTensor(torch.ScalarType.Long, 1);
            memory(length).set(ValueLayout.JAVA_LONG, 0, leads() ? bytes.length : 0);
            Tensor lengthOnDevice = toDevice(length);
            broadcast(lengthOnDevice, operation);
            int n = Math.toIntExact(lengthOnDevice.cpu().item_long());
            byte[] out = new byte[n];
            if (n == 0) {
                return out;
            }
            Tensor data = cpuTensor(torch.ScalarType.Byte, n);
            if (leads()) {
                MemorySegment.copy(bytes, 0, memory(data), ValueLayout.JAVA_BYTE, 0, n);
            }
            Tensor dataOnDevice = toDevice(data);
            broadcast(dataOnDevice, operation);
            MemorySegment.copy(memory(dataOnDevice.cpu()), ValueLayout.JAVA_BYTE, 0, out, 0, n);
            return out;
        }
    }

    /**
     * Waits until every rank has come here.
     *
     * @param operation what the ranks wait for, for messages
     * @throws DistributedException naming the rank at fault when a peer died or hung
     */
    public void barrier(String operation) {
        if (size() == 1) {
            return;
        }
        collective(operation, () -> backend().barrier(new BarrierOptions()));
    }

    // ----- small messages through the store --------------------------------------------------------------------

    /**
     * Checks that every rank describes its run the same way, e.g. its resolved config, data and build: ranks started
     * with different configs would train different things or wait on each other forever.
     *
     * @param what  what is compared, a word for keys and messages (e.g. {@code run})
     * @param facts this rank's description
     * @throws DistributedException on every rank when any rank's description differs from rank 0's, listing each
     *                              such rank and the differing values
     */
    public void agree(String what, JsonNode facts) {
        if (size() == 1) {
            return;
        }
        String prefix = "agree/" + what + "/";
        try {
            set(prefix + rank(), JSON.writeValueAsString(facts));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("facts that are not JSON: " + e.getMessage(), e);
        }
        List<String> keys = new ArrayList<>();
        for (int r = 0; r < size(); r++) {
            keys.add(prefix + r);
        }
        await(keys, "to compare their " + what);
        List<String> problems = new ArrayList<>();
        try {
            JsonNode reference = JSON.readTree(get(keys.get(0)));
            for (int r = 1; r < size(); r++) {
                Map<String, String> differences = ConfigLoader.differences(reference, JSON.readTree(get(keys.get(r))));
                if (!differences.isEmpty()) {
                    List<String> each = new ArrayList<>();
                    differences.forEach((path, change) -> each.add(path + " " + change));
                    problems.add("rank " + r + " differs from rank 0 in " + String.join(", ", each));
                }
            }
        } catch (JsonProcessingException e) {
            throw new DistributedException("rank " + rank() + " cannot read another rank's " + what + ": "
                    + e.getMessage(), e);
        }
        // Rank 0 may host the store and end at once on a mismatch: it waits until every rank has read all it needs.
        List<String> done = new ArrayList<>();
        for (int r = 0; r < size(); r++) {
            done.add(prefix + "read/" + r);
        }
        set(done.get(rank()), "");
        if (leads()) {
            await(done, "to compare their " + what);
        }
        if (!problems.isEmpty()) {
            throw new DistributedException("the ranks were started with different " + what + "s (values shown as rank"
                    + " 0 -> rank r): " + String.join("; ", problems) + ". Start every rank with the same config, --set"
                    + " overrides, data and build of snn");
        }
    }

    /**
     * Rank 0's value of a small text on every rank, through the store (e.g. the config of a run being resumed).
     *
     * @param name  what is shared, a key
     * @param value rank 0's text; ignored on the other ranks (pass {@code null} there)
     * @return rank 0's text
     * @throws DistributedException when rank 0 does not share it within the timeout or reports a failure
     */
    public String fromRankZero(String name, String value) {
        if (size() == 1) {
            return value;
        }
        String key = "shared/" + name;
        if (leads()) {
            set(key, value);
            return value;
        }
        await(List.of(key), "to share its " + name);
        return get(key);
    }

    /**
     * Tells the other ranks that this one is stopping because of {@code failure}, so that they stop at once and name
     * it instead of waiting for the timeout. Best effort: nothing happens when the store is gone.
     *
     * <p>When this rank hosts the store (rank 0 without a launcher's store), the store ends with this process, and the
     * others could not read the failure: so this rank first closes its collective connections, which makes the
     * others' pending collective fail at once, and keeps the store up for {@link #LINGER} while they read it.
     *
     * @param failure why this rank stops
     */
    public void fail(Throwable failure) {
        if (size() == 1 || failure instanceof DistributedException) {
            return; // a distributed failure came from another rank, which the others learn of on their own
        }
        try {
            String message = failure.getMessage() == null ? failure.toString() : failure.getMessage();
            set("failed/" + rank(), message);
            store.add(FAILURES, 1);
            if (leads() && !env.agentStore()) {
                if (backend != null && !broken) {
                    owned.remove(backend);
                    backend.releaseReference();
                    backend = null;
                }
                broken = true;
                Thread.sleep(LINGER.toMillis());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException ignored) {
            // the store is gone; the others learn of this rank's end from its closed connections
        }
    }

    /** Stops the heartbeat and releases the store connections and the backend (kept after a failed collective). */
    @Override
    public void close() {
        if (size() == 1 || closed) {
            return;
        }
        closed = true;
        boolean stopped = heartbeat.close();
        // After a failed collective, or while the heartbeat may still be inside a store call, nothing is freed.
        if (!broken && stopped) {
            for (int i = owned.size() - 1; i >= 0; i--) {
                owned.get(i).releaseReference();
            }
        }
    }

    // ----- internals ------------------------------------------------------------------------------------------

    private void allReduce(Tensor t, ReduceOp.RedOpType op, String operation) {
        if (size() == 1) {
            return;
        }
        collective(operation, () -> backend().allreduce(new TensorVector(t),
                new AllreduceOptions().reduceOp(new ReduceOp(op))));
    }

    /** Runs a collective and waits for it; a failure is reported with the rank at fault. */
    private void collective(String operation, Supplier<Work> start) {
        if (broken) {
            throw new IllegalStateException("this process group failed earlier and cannot be used again");
        }
        try (PointerScope scope = new PointerScope()) {
            start.get()._wait();
        } catch (DistributedException e) {
            throw e;
        } catch (RuntimeException e) {
            broken = true;
            throw new DistributedException("rank " + rank() + " stops: " + culprit() + " at " + where() + " ("
                    + operation + " failed: " + C10dMessages.of(e) + ")", e);
        }
    }

    private String where() {
        return heartbeat == null ? "start-up" : heartbeat.where();
    }

    /**
     * The backend, connected on first use (a collective itself: every rank connects at the same point, after all have
     * said so through the store, where a rank that failed before it is seen at once). It and the objects it points to
     * are owned by the group, even when a {@code PointerScope} is open around this call.
     */
    private Backend backend() {
        if (backend == null) {
            // Connecting waits on the store without looking for failures: first make sure every rank is here.
            List<String> here = new ArrayList<>();
            for (int r = 0; r < size(); r++) {
                here.add("connect/" + r);
            }
            set(here.get(rank()), "");
            await(here, "to connect their collectives");
            device = TorchRuntime.ensureInitialised().device();
            try {
                // A store connection of the backend's own: the backend takes it over (see handOver).
                Store connection = connect(env, timeout, false);
                Store collectiveStore = new PrefixStore(backendFor(device), connection);
                handOver(connection);
                if (device == Device.CUDA) {
                    backend = own(new org.bytedeco.pytorch.nccl.ProcessGroupNCCL(collectiveStore, rank(), size()));
                    backend.setTimeout(milliseconds(timeout));
                } else {
                    ProcessGroupGloo.Options options = own(ProcessGroupGloo.Options.create(milliseconds(timeout)));
                    options.devices(own(new GlooDeviceVector(own(glooDevice()))));
                    backend = own(new ProcessGroupGloo(collectiveStore, rank(), size(), options));
                }
                handOver(collectiveStore);
            } catch (RuntimeException e) {
                broken = true;
                throw new DistributedException("rank " + rank() + " cannot connect the " + (device == Device.CUDA
                        ? "NCCL" : "Gloo") + " group: " + culprit() + " (" + C10dMessages.of(e) + ")", e);
            }
        }
        return backend;
    }

    /**
     * The network device Gloo listens on: the interface {@code GLOO_SOCKET_IFNAME} names (as in PyTorch), else the
     * loopback interface when the store is on this machine's loopback address, else the address of this host's name.
     */
    private org.bytedeco.pytorch.gloo.Device glooDevice() {
        String ifname = System.getenv("GLOO_SOCKET_IFNAME");
        if (ifname != null && !ifname.isBlank()) {
            return ProcessGroupGloo.createDeviceForInterface(ifname.split(",")[0].trim());
        }
        if (isLoopback(env.masterAddr())) {
            return ProcessGroupGloo.createDeviceForHostname("127.0.0.1");
        }
        return ProcessGroupGloo.createDefaultDevice();
    }

    private static boolean isLoopback(String host) {
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (IOException e) {
            return false;
        }
    }

    /** Holds {@code p} for the group's life: a reference of its own, released by {@link #close()}. */
    private <T extends Pointer> T own(T p) {
        p.retainReference();
        owned.add(p);
        return p;
    }

    /**
     * Gives up Java's ownership of a store that was just passed to a c10d constructor. c10d takes its stores through
     * intrusive pointers, and one made with {@code new} from Java (as {@code TCPStore} and {@code PrefixStore} are) is
     * then owned by that c10d object alone, which frees it with itself: freeing it from Java too would free it twice.
     * Objects c10d makes itself ({@code ProcessGroupGloo}, its options) are reference-counted and stay Java's to
     * release. So Java keeps a reference it never releases (an enclosing {@code PointerScope} cannot free it) and
     * takes the object away from the garbage collector.
     */
    private static void handOver(Pointer p) {
        p.retainReference();
        p.deallocate(false);
    }

    /**
     * A new connection to the store {@code env} names: its server (rank 0, when {@code server}) or a client, under
     * the launcher's prefix when the launcher hosts it. The caller owns it (and, through it, the TCP connection).
     */
    static Store connect(DistributedEnv env, Duration timeout, boolean server) {
        TCPStoreOptions options = new TCPStoreOptions();
        options.port((short) env.masterPort()); // ports above 32767 pass through the cast unchanged
        options.isServer(server);
        options.waitWorkers(false);
        options.timeout(milliseconds(timeout));
        String where = env.masterAddr() + ":" + env.masterPort();
        try {
            TCPStore tcp = new TCPStore(env.masterAddr(), options);
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
                        + seconds(timeout) + ": " + (env.agentStore() ? "the launcher" : "rank 0") + " is not running"
                        + " there, or that address is not reachable from this host (" + c10d + ")", e);
            }
            throw new DistributedException("rank " + env.rank() + " cannot " + (server ? "host" : "connect to")
                    + " the rendezvous store at " + where + ": " + c10d, e);
        }
    }

    /**
     * Waits until all {@code keys} exist, polling, and stops early when another rank reports a failure.
     *
     * @param doing what the ranks are waiting for the others to do, e.g. {@code to join}
     */
    private void await(List<String> keys, String doing) {
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            while (!has(keys.toArray(String[]::new))) {
                reportedFailure().ifPresent(f -> {
                    throw new DistributedException("rank " + rank() + " stops: " + f);
                });
                if (System.nanoTime() > deadline) {
                    List<String> missing = new ArrayList<>();
                    for (String k : keys) {
                        if (!has(k)) {
                            missing.add(k.substring(k.lastIndexOf('/') + 1));
                        }
                    }
                    throw new DistributedException(ranks(missing) + " did not come " + doing + " within "
                            + seconds(timeout) + " (rank " + rank() + " waited; world size " + size() + "): start "
                            + (missing.size() == 1 ? "it" : "them") + " with the same " + DistributedEnv.MASTER_ADDR
                            + ", " + DistributedEnv.MASTER_PORT + " and " + DistributedEnv.WORLD_SIZE + ", or raise"
                            + " the timeout (--timeout) if loading the data takes longer");
                }
                Thread.sleep(POLL.toMillis());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DistributedException("rank " + rank() + " was interrupted while waiting for the others " + doing,
                    e);
        } catch (DistributedException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new DistributedException("rank " + rank() + " lost the rendezvous store while waiting for the others "
                    + doing + ": " + storeHost() + " ended (" + C10dMessages.of(e) + ")", e);
        }
    }

    /** The first failure another rank reported through {@link #fail}, e.g. {@code rank 1 failed: ...}. */
    private java.util.Optional<String> reportedFailure() {
        if (store.add(FAILURES, 0) == 0) {
            return java.util.Optional.empty();
        }
        for (int r = 0; r < size(); r++) {
            if (r != rank() && has("failed/" + r)) {
                return java.util.Optional.of("rank " + r + " failed: " + get("failed/" + r));
            }
        }
        return java.util.Optional.empty();
    }

    /**
     * Which rank is at fault after a collective failed, found in at most {@link #DIAGNOSIS_LIMIT}: see the class
     * comment.
     */
    private String culprit() {
        CompletableFuture<String> diagnosis = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                diagnosis.complete(diagnose());
            } catch (RuntimeException e) {
                diagnosis.complete(storeHost() + " ended: the rendezvous store it hosts is gone");
            }
        }, "snn-diagnosis");
        t.setDaemon(true);
        t.start();
        try {
            return diagnosis.get(DIAGNOSIS_LIMIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            return "no rank could be named: the rendezvous store (hosted by " + storeHost() + ") did not answer within "
                    + seconds(DIAGNOSIS_LIMIT);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "no rank could be named (interrupted)";
        } catch (ExecutionException e) {
            return "no rank could be named (" + e.getCause() + ")";
        }
    }

    private String diagnose() {
        java.util.Optional<String> reported = reportedFailure();
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
        for (int r = 0; r < size(); r++) {
            if (r != rank() && after[r] == before[r]) {
                silent.add(Integer.toString(r));
            }
        }
        if (!silent.isEmpty()) {
            return ranks(silent) + " stopped responding (" + (silent.size() == 1 ? "its process ended or was stopped)"
                    : "their processes ended or were stopped)");
        }
        List<String> behind = new ArrayList<>();
        String here = where();
        for (int r = 0; r < size(); r++) {
            String key = Heartbeat.whereKey(r);
            if (r != rank() && has(key)) {
                String there = get(key);
                if (!there.equals(here)) {
                    behind.add("rank " + r + " (at " + there + ")");
                }
            }
        }
        if (!behind.isEmpty()) {
            return String.join(", ", behind) + (behind.size() == 1 ? " is" : " are") + " alive but did not reach this"
                    + " step within " + seconds(timeout) + " (hung?)";
        }
        return "every other rank is alive and at the same step; none reported a failure";
    }

    private long[] beats() {
        long[] b = new long[size()];
        for (int r = 0; r < size(); r++) {
            b[r] = store.add(Heartbeat.beatKey(r), 0);
        }
        return b;
    }

    private String storeHost() {
        return env.agentStore() ? "the launcher" : "rank 0";
    }

    // The store's key and value vectors are freed as each call returns.

    private boolean has(String... keys) {
        try (PointerScope scope = new PointerScope()) {
            return store.check(new StringVector(keys));
        }
    }

    private void set(String key, String value) {
        try (PointerScope scope = new PointerScope()) {
            store.set(key, new ByteVector(value.getBytes(StandardCharsets.UTF_8)));
        }
    }

    private String get(String key) {
        try (PointerScope scope = new PointerScope()) {
            return new String(store.get(key).get(), StandardCharsets.UTF_8);
        }
    }

    /** A new, uninitialised CPU tensor of {@code n} elements: the one place this class makes tensors. */
    private static Tensor cpuTensor(torch.ScalarType type, long n) {
        return Tensors.empty(Device.CPU, type, n); // Gloo reduces host memory
    }

    /** {@code t} on the backend's device: itself for Gloo, a CUDA copy for NCCL. */
    private Tensor toDevice(Tensor t) {
        backend();
        return device == Device.CUDA ? t.to(new org.bytedeco.pytorch.Device("cuda"), t.scalar_type()) : t;
    }

    private static MemorySegment memory(Tensor t) {
        return MemorySegment.ofAddress(t.data_ptr().address()).reinterpret(t.nbytes());
    }

    private static Milliseconds milliseconds(Duration d) {
        return new Milliseconds(d.toMillis());
    }

    static String seconds(Duration d) {
        return String.format(Locale.ROOT, "%.0f s", d.toMillis() / 1000.0);
    }

    private static String ranks(List<String> ranks) {
        return (ranks.size() == 1 ? "rank " : "ranks ") + String.join(", ", ranks);
    }

    private static String localHost() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            String env = System.getenv("HOSTNAME");
            return env != null ? env : "unknown";
        }
    }
}
