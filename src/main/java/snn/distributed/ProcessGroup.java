package snn.distributed;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.javacpp.chrono.Milliseconds;
import org.bytedeco.pytorch.AllreduceOptions;
import org.bytedeco.pytorch.Backend;
import org.bytedeco.pytorch.BarrierOptions;
import org.bytedeco.pytorch.BroadcastOptions;
import org.bytedeco.pytorch.GlooDeviceVector;
import org.bytedeco.pytorch.PrefixStore;
import org.bytedeco.pytorch.ProcessGroupGloo;
import org.bytedeco.pytorch.ReduceOp;
import org.bytedeco.pytorch.Store;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.Work;
import org.bytedeco.pytorch.global.torch;

import snn.core.DistributedException;
import snn.runtime.Device;
import snn.runtime.Tensors;
import snn.runtime.TorchRuntime;

/**
 * The processes of one data-parallel run and the collectives between them, as {@code torch.distributed}'s process
 * group: it joins the ranks through the run's {@link RendezvousStore} (c10d's {@code TCPStore}), owns the collective
 * backend ({@code ProcessGroupGloo} on the CPU; {@code ProcessGroupNCCL} when the device is CUDA, which needs a CUDA
 * build and is unmeasured), and runs the collectives on it. Its {@link HealthMonitor} names the rank at fault when
 * one fails. A process training alone has the {@link #single()} group, on which every operation returns at once.
 *
 * <p><b>Failures.</b> Every wait is bounded by the group's timeout. A collective that fails (a peer's connection
 * closed, or nothing arrived within the timeout) throws a {@link DistributedException} that names the rank at fault
 * ({@link HealthMonitor#culprit()}). Waits on the store also stop as soon as another rank reports a failure
 * ({@link #fail}).
 *
 * <p><b>Native memory.</b> The group owns its two store connections (its own and its heartbeat's, through the
 * monitor), the backend, and the backend's options and device: each is held with a reference of its own from its
 * creation, whatever {@code PointerScope} is open then, and {@link #close()} releases them. The backend has a third
 * store connection, which it owns itself: c10d takes stores made from Java over through intrusive pointers (see
 * {@link RendezvousStore#handOver}), so it is freed with the backend and never from Java. A group whose collective
 * failed keeps everything (c10d cannot tear a broken group down reliably): the process is about to end. Tensors made
 * for an operation are freed when it returns.
 *
 * <p>Operations are called from one thread (the training thread), in the same order on every rank.
 */
public final class ProcessGroup implements AutoCloseable {

    /** How long a failing rank that hosts the store keeps it up for the others to read its failure. */
    static final Duration LINGER = Duration.ofSeconds(2);

    private static final ProcessGroup SINGLE = new ProcessGroup(DistributedEnv.SINGLE, Duration.ZERO, null, null);

    private final DistributedEnv env;
    private final Duration timeout;
    private final RendezvousStore store;
    private final HealthMonitor health;
    /** The backend and every native object it points to that the group holds a reference to, in creation order. */
    private final List<Pointer> backendObjects = new ArrayList<>();
    private List<String> hosts = List.of();
    private Backend backend;
    private Device device = Device.CPU;
    private boolean broken;
    private boolean closed;

    private ProcessGroup(DistributedEnv env, Duration timeout, RendezvousStore store, HealthMonitor health) {
        this.env = env;
        this.timeout = timeout;
        this.store = store;
        this.health = health;
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
        RendezvousStore store = RendezvousStore.connect(env, timeout, env.rank() == 0 && !env.agentStore());
        HealthMonitor health = new HealthMonitor(store, env.rank(), env.worldSize(), timeout);
        try {
            ProcessGroup group = new ProcessGroup(env, timeout, store, health);
            group.hosts = store.rendezvous(localHost(), health::reportedFailure);
            health.startHeartbeat(RendezvousStore.connect(env, timeout, false));
            return group;
        } catch (RuntimeException e) {
            store.close();
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
        if (health != null) {
            health.at(place);
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
     * Every rank's value of a small text, through the store, as {@code torch.distributed.all_gather_object} gives
     * every rank's object: e.g. each rank's description of its run, which the ranks then compare. The ranks may act on
     * the result at once (stop on a mismatch): rank 0 returns only when every rank has read every value, since the
     * store may end with it.
     *
     * @param name  what is gathered, a word for keys and messages (e.g. {@code run}); one gathering per name
     * @param value this rank's text
     * @return every rank's text, by rank; {@code List.of(value)} for a single process
     * @throws DistributedException when a rank does not send its text within the timeout (naming it) or reports a
     *                              failure
     */
    public List<String> allGatherText(String name, String value) {
        if (size() == 1) {
            return List.of(value);
        }
        String prefix = "gather/" + name + "/";
        List<String> keys = store.keysOfEveryRank(prefix);
        store.set(keys.get(rank()), value);
        store.await(keys, "to send their " + name, health::reportedFailure);
        List<String> values = new ArrayList<>();
        for (String k : keys) {
            values.add(store.get(k));
        }
        List<String> read = store.keysOfEveryRank(prefix + "read/");
        store.set(read.get(rank()), "");
        if (leads()) {
            store.await(read, "to read every rank's " + name, health::reportedFailure);
        }
        return List.copyOf(values);
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
            store.set(key, value);
            return value;
        }
        store.await(List.of(key), "to share its " + name, health::reportedFailure);
        return store.get(key);
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
            health.report(message);
            if (leads() && !env.agentStore()) {
                if (backend != null && !broken) {
                    backendObjects.remove(backend);
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
        boolean stopped = health.stop();
        // After a failed collective, or while the heartbeat may still be inside a store call, nothing is freed.
        if (!broken && stopped) {
            for (int i = backendObjects.size() - 1; i >= 0; i--) {
                backendObjects.get(i).releaseReference();
            }
            health.release();
            store.close();
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
            throw new DistributedException("rank " + rank() + " stops: " + health.culprit() + " at " + health.where()
                    + " ("
                    + operation + " failed: " + C10dMessages.of(e) + ")", e);
        }
    }

    /**
     * The backend, connected on first use (a collective itself: every rank connects at the same point, after all have
     * said so through the store, where a rank that failed before it is seen at once). It and the objects it points to
     * are owned by the group, even when a {@code PointerScope} is open around this call.
     */
    private Backend backend() {
        if (backend == null) {
            // Connecting waits on the store without looking for failures: first make sure every rank is here.
            List<String> here = store.keysOfEveryRank("connect/");
            store.set(here.get(rank()), "");
            store.await(here, "to connect their collectives", health::reportedFailure);
            device = TorchRuntime.ensureInitialised().device();
            try {
                // A store connection of the backend's own: the backend takes it over (see handOver).
                Store connection = RendezvousStore.openForBackend(env, timeout);
                Store collectiveStore = new PrefixStore(backendFor(device), connection);
                RendezvousStore.handOver(connection);
                if (device == Device.CUDA) {
                    backend = own(new org.bytedeco.pytorch.nccl.ProcessGroupNCCL(collectiveStore, rank(), size()));
                    backend.setTimeout(milliseconds(timeout));
                } else {
                    ProcessGroupGloo.Options options = own(ProcessGroupGloo.Options.create(milliseconds(timeout)));
                    options.devices(own(new GlooDeviceVector(own(glooDevice()))));
                    backend = own(new ProcessGroupGloo(collectiveStore, rank(), size(), options));
                }
                RendezvousStore.handOver(collectiveStore);
            } catch (RuntimeException e) {
                broken = true;
                throw new DistributedException("rank " + rank() + " cannot connect the " + (device == Device.CUDA
                        ? "NCCL" : "Gloo") + " group: " + health.culprit() + " (" + C10dMessages.of(e) + ")", e);
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

    /** Holds {@code p} (a backend object) for the group's life: a reference of its own, released by {@link #close()}. */
    private <T extends Pointer> T own(T p) {
        p.retainReference();
        backendObjects.add(p);
        return p;
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

    /** {@return a duration in whole seconds for messages, e.g. {@code 300 s}} @param d the duration */
    static String seconds(Duration d) {
        return String.format(Locale.ROOT, "%.0f s", d.toMillis() / 1000.0);
    }

    /** {@return {@code rank 1} or {@code ranks 1, 2}} @param ranks the ranks, at least one */
    static String ranks(List<String> ranks) {
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
