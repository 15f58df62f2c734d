package snn.data;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.SplittableRandom;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import snn.neurons.SpikeEvents;
import snn.runtime.Device;
import snn.runtime.Tensors;

/**
 * Turns a {@link SpikeDataset} into batches: samples are written straight into preallocated tensor memory
 * (two buffers, so a background thread fills the next batch while the current one trains), in an order shuffled
 * per epoch from the run's seed. The last partial batch is kept, as in the papers.
 *
 * <p>In data-parallel training each process batches the same epoch order and takes its {@link Share} of every
 * batch, so that the processes together see exactly the batches a single process would.
 *
 * <p>Only one epoch may be iterated at a time, and a batch is valid until the next one is requested or the loader
 * is closed. A loader is used from one thread (besides its own prefetch thread).
 *
 * <p>A batch whose first sample has at most {@link SpikeEvents#MAX_DENSITY} of its entries non-zero is handed out
 * as events ({@link Batch#events()}, written by {@link SpikeDataset#writeEvents}); its dense form is made only when a
 * consumer asks for it ({@link Batch#input()}). Denser batches are written densely.
 *
 * <p><b>Native memory.</b> The loader owns its two batch buffers (labels, events, and a dense input tensor made on
 * first need): the constructor allocates them and {@link #close()} frees them, whatever {@code PointerScope}s are
 * open around either call (the
 * loader holds a reference of its own to each). The prefetch thread writes into them through raw memory views,
 * never through tensors, so {@code close()} first stops that thread and waits until it has ended: once
 * {@code close()} returns, nothing writes into the buffers any more and they are freed. The batches handed out are
 * views made on the caller's thread (attached to the caller's innermost {@code PointerScope}, if any).
 */
public final class BatchLoader implements AutoCloseable {

    /** How long {@link #close()} waits for the prefetch thread to finish the sample it is writing. */
    static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);

    private final SpikeDataset dataset;
    /** Samples per batch of the epoch order, before the share is taken. */
    private final int globalBatch;
    private final Share share;
    /** Rows of each batch buffer: the largest share of a batch this loader hands out. */
    private final int batchSize;
    private final boolean shuffle;
    private final boolean training;
    private final long seed;
    private final long sampleFloats;
    /** Whether batches may come as events: the sample shape fits the events' 16-bit channel and step. */
    private final boolean eventsPossible;
    private final Buffer[] buffers;
    private final List<Thread> threads = new CopyOnWriteArrayList<>();
    private final ExecutorService prefetcher;
    /** Set by {@link #close()}: a fill in progress stops before its next sample. */
    private volatile boolean closing;
    private boolean closed;

    /**
     * Allocates the two batch buffers and starts the prefetching thread; {@link #close()} stops it and frees them.
     *
     * @param dataset   the samples to batch
     * @param batchSize samples per batch (at most the dataset's size)
     * @param shuffle   reshuffle the order every epoch (from {@code seed} and the epoch number)
     * @param training  pass each sample a random generator for augmentation (seeded by seed, epoch and index)
     * @param seed      the run's seed, for the order and the augmentation
     */
    public BatchLoader(SpikeDataset dataset, int batchSize, boolean shuffle, boolean training, long seed) {
        this(dataset, batchSize, shuffle, training, seed, Share.WHOLE);
    }

    /**
     * As {@link #BatchLoader(SpikeDataset, int, boolean, boolean, long)}, handing out only {@code share} of every
     * batch; the buffers hold the largest such share.
     *
     * @param dataset   the samples to batch
     * @param batchSize samples per batch before the share is taken (at most the dataset's size)
     * @param shuffle   reshuffle the order every epoch (from {@code seed} and the epoch number)
     * @param training  pass each sample a random generator for augmentation (seeded by seed, epoch and index)
     * @param seed      the run's seed, for the order and the augmentation
     * @param share     which part of every batch this loader hands out
     */
    public BatchLoader(SpikeDataset dataset, int batchSize, boolean shuffle, boolean training, long seed,
            Share share) {
        this.dataset = dataset;
        this.globalBatch = Math.min(batchSize, Math.max(1, dataset.size()));
        this.share = share;
        this.batchSize = share.capacity(globalBatch);
        this.shuffle = shuffle;
        this.training = training;
        this.seed = seed;
        this.sampleFloats = (long) dataset.channels() * dataset.timeSteps();
        this.eventsPossible = dataset.channels() <= SpikeEvents.MAX_EXTENT
                && dataset.timeSteps() <= SpikeEvents.MAX_EXTENT;
        // The scope frees the temporary tensor options at once; the buffers outlive it by their own reference.
        try (PointerScope temporaries = new PointerScope()) {
            this.buffers = new Buffer[] {new Buffer(), new Buffer()};
        }
        this.prefetcher = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "snn-prefetch-" + dataset.name());
            t.setDaemon(true);
            threads.add(t);
            return t;
        });
    }

    /** {@return the number of batches per epoch, the last one possibly partial} */
    public int batchesPerEpoch() {
        return (dataset.size() + globalBatch - 1) / globalBatch;
    }

    /** {@return the dataset this loader batches} */
    public SpikeDataset dataset() {
        return dataset;
    }

    /**
     * The sample order of an epoch.
     *
     * @param epoch the epoch number; each one has its own order
     * @return a permutation of the dataset indices (the identity without shuffling)
     */
    public int[] order(int epoch) {
        int n = dataset.size();
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        if (shuffle) {
            SplittableRandom rng = new SplittableRandom(mix(seed, epoch, -1));
            for (int i = n - 1; i > 0; i--) {
                int j = rng.nextInt(i + 1);
                int tmp = order[i];
                order[i] = order[j];
                order[j] = tmp;
            }
        }
        return order;
    }

    /**
     * The batches of an epoch, prefetched one ahead on a background thread.
     *
     * @param epoch the epoch number, which picks the order and the augmentation
     * @return the batches in order (this loader's share of each); each is valid until the next call to
     *         {@code next()}
     */
    public Iterator<Batch> epoch(int epoch) {
        checkOpen();
        int[] order = order(epoch);
        int count = batchesPerEpoch();
        return new Iterator<>() {
            private int next;
            private Future<?> pending = count > 0 ? submit(0) : null;

            private Future<?> submit(int b) {
                Buffer buffer = buffers[b % 2];
                int[] indices = indices(b);
                return prefetcher.submit(() -> buffer.fill(indices, epoch));
            }

            private int[] indices(int b) {
                int from = b * globalBatch;
                return share.of(Arrays.copyOfRange(order, from, Math.min(order.length, from + globalBatch)));
            }

            @Override
            public boolean hasNext() {
                return next < count;
            }

            @Override
            public Batch next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                checkOpen();
                try {
                    pending.get();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while loading a batch", e);
                } catch (ExecutionException e) {
                    Throwable cause = e.getCause();
                    if (cause instanceof RuntimeException re) {
                        throw re;
                    }
                    throw new IllegalStateException("loading a batch failed", cause);
                }
                Batch batch = buffers[next % 2].batch(indices(next));
                next++;
                // The other buffer is free again: the previous batch was consumed before this call.
                pending = next < count ? submit(next) : null;
                return batch;
            }
        };
    }

    /**
     * Assembles chosen samples into a batch without prefetching, e.g. for inspection (a training loader augments
     * them as in epoch 0).
     *
     * @param indices dataset indices, at most the batch size
     * @return the batch, valid until the next batch is loaded
     * @throws IllegalArgumentException when there are more indices than the batch size
     */
    public Batch load(int[] indices) {
        checkOpen();
        if (indices.length > batchSize) {
            throw new IllegalArgumentException("at most " + batchSize + " samples per batch, got " + indices.length);
        }
        buffers[0].fill(indices, 0);
        return buffers[0].batch(indices);
    }

    /**
     * Stops the prefetch thread (it is interrupted and abandons its batch before the next sample), waits until it
     * has ended, then frees the batch buffers. Calling it again does nothing.
     *
     * @throws IllegalStateException when the prefetch thread is still running {@link #STOP_TIMEOUT} later (a
     *                               {@link SpikeDataset#writeSample} that does not return); the buffers are then not
     *                               freed, since that thread may still write into them
     */
    @Override
    public void close() {
        close(STOP_TIMEOUT);
    }

    /** As {@link #close()}, waiting at most {@code timeout} for the prefetch thread. */
    void close(Duration timeout) {
        if (closed) {
            return;
        }
        closing = true;
        prefetcher.shutdownNow();
        long deadline = System.nanoTime() + timeout.toNanos();
        boolean interrupted = false;
        try {
            for (Thread t : threads) {
                while (t.isAlive() && System.nanoTime() < deadline) {
                    try {
                        t.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
                    } catch (InterruptedException e) {
                        interrupted = true; // keep waiting: freeing the buffers now could let t write into freed memory
                    }
                }
                if (t.isAlive()) {
                    throw new IllegalStateException("the prefetch thread " + t.getName() + " did not stop within "
                            + timeout.toMillis() + " ms of close(): " + dataset.name() + ".writeSample does not"
                            + " return. Its batch buffers stay allocated, as the thread may still write into them");
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        closed = true;
        for (Buffer b : buffers) {
            b.free();
        }
    }

    private void checkOpen() {
        if (closing) {
            throw new IllegalStateException("the batch loader of " + dataset.name() + " is closed");
        }
    }

    /**
     * Which part of every batch a loader hands out. With {@code count} processes training data-parallel, process
     * {@code index} takes the {@code index}-th of {@code count} contiguous slices of each batch's samples: the
     * slices' sizes differ by at most one, and a slice is empty when a batch has fewer samples than processes.
     *
     * @param index this part, from 0 to {@code count - 1}
     * @param count the number of parts, at least 1
     */
    public record Share(int index, int count) {

        /** The whole batch: a single process. */
        public static final Share WHOLE = new Share(0, 1);

        /**
         * Checks the numbers.
         *
         * @throws IllegalArgumentException unless {@code 0 <= index < count}
         */
        public Share {
            if (count < 1 || index < 0 || index >= count) {
                throw new IllegalArgumentException("expected 0 <= index < count, got index " + index + ", count "
                        + count);
            }
        }

        /**
         * The largest slice this share takes of a batch.
         *
         * @param batchSize the batch's samples
         * @return {@code ceil(batchSize / count)}
         */
        public int capacity(int batchSize) {
            return (batchSize + count - 1) / count;
        }

        /**
         * This share's slice of a batch.
         *
         * @param batch the batch's dataset indices, in batch order
         * @return samples {@code floor(n * index / count)} (inclusive) to {@code floor(n * (index + 1) / count)}
         *         (exclusive) of the {@code n} in {@code batch}
         */
        public int[] of(int[] batch) {
            long n = batch.length;
            return Arrays.copyOfRange(batch, (int) (n * index / count), (int) (n * (index + 1) / count));
        }
    }

    private static long mix(long seed, long epoch, long index) {
        long z = seed * 0x9E3779B97F4A7C15L + epoch * 0xBF58476D1CE4E5B9L + index * 0x94D049BB133111EBL;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /**
     * One batch's memory, owned by the loader (one reference to each tensor, dropped by {@link #free()}): the labels;
     * the events (CSR offsets, positions, values), which grow as batches need; and the dense input, allocated when
     * a batch is too dense for events or a consumer asks for a batch's dense form. The prefetch thread writes through
     * FFM views of their memory.
     */
    private final class Buffer {
        // CPU memory: the prefetch thread writes it through Java; the trainer moves each batch to the run's device.
        final Tensor labels = Tensors.empty(Device.CPU, torch.ScalarType.Long, batchSize);
        final MemorySegment labelMemory = memory(labels);
        final Tensor offsets = Tensors.empty(Device.CPU, torch.ScalarType.Long, batchSize + 1L);
        final MemorySegment offsetMemory = memory(offsets);
        final SampleEvents sample = eventsPossible
                ? new SampleEvents(dataset.channels(), dataset.timeSteps()) : null;
        Tensor positions;
        Tensor values;
        MemorySegment positionMemory;
        MemorySegment valueMemory;
        Tensor input;
        MemorySegment inputMemory;
        /** Whether the last fill is in event form, and whether its dense form is in {@link #input}. */
        boolean eventForm;
        boolean denseFilled;

        Buffer() {
            labels.retainReference();
            offsets.retainReference();
            growEvents(Math.max(1024, batchSize * sampleFloats / 64), 0);
        }

        private static MemorySegment memory(Tensor t) {
            return MemorySegment.ofAddress(t.data_ptr().address()).reinterpret(t.nbytes());
        }

        /** Replaces the event arrays by ones of {@code capacity} events, keeping the first {@code kept}. */
        private void growEvents(long capacity, long kept) {
            Tensor newPositions = Tensors.empty(Device.CPU, torch.ScalarType.Int, capacity);
            Tensor newValues = Tensors.empty(Device.CPU, torch.ScalarType.Float, capacity);
            newPositions.retainReference();
            newValues.retainReference();
            MemorySegment newPositionMemory = memory(newPositions);
            MemorySegment newValueMemory = memory(newValues);
            if (positions != null) {
                MemorySegment.copy(positionMemory, 0, newPositionMemory, 0, kept * Integer.BYTES);
                MemorySegment.copy(valueMemory, 0, newValueMemory, 0, kept * Float.BYTES);
                positions.releaseReference();
                values.releaseReference();
            }
            positions = newPositions;
            values = newValues;
            positionMemory = newPositionMemory;
            valueMemory = newValueMemory;
        }

        private void allocateDense() {
            if (input == null) {
                input = Tensors.empty(Device.CPU, torch.ScalarType.Float, batchSize, dataset.channels(),
                        dataset.timeSteps());
                input.retainReference();
                inputMemory = memory(input);
            }
        }

        /**
         * Writes the samples {@code indices} into the buffer, as events unless the first sample is too dense for them
         * (or events cannot describe the shape); stops early (with an exception) when closing.
         */
        void fill(int[] indices, int epoch) {
            denseFilled = false;
            eventForm = eventsPossible && indices.length > 0 && fillEvents(indices, epoch);
            if (!eventForm && indices.length > 0) {
                fillDense(indices, epoch);
            }
            for (int i = 0; i < indices.length; i++) {
                labelMemory.setAtIndex(ValueLayout.JAVA_LONG, i, dataset.label(indices[i]));
            }
        }

        /** The samples as events; false (and nothing usable written) when the first is too dense for them. */
        private boolean fillEvents(int[] indices, int epoch) {
            long total = 0;
            offsetMemory.setAtIndex(ValueLayout.JAVA_LONG, 0, 0L);
            for (int i = 0; i < indices.length; i++) {
                checkClosing();
                int index = indices[i];
                sample.clear();
                if (training) {
                    dataset.writeEvents(index, sample, new SplittableRandom(mix(seed, epoch, index)));
                } else {
                    dataset.writeEvents(index, sample);
                }
                if (i == 0 && sample.count() > SpikeEvents.MAX_DENSITY * sampleFloats) {
                    return false;
                }
                long needed = total + sample.count();
                if (needed > positions.numel()) {
                    growEvents(Math.max(needed, 2 * positions.numel()), total);
                }
                sample.copyTo(positionMemory, total, valueMemory, total);
                total = needed;
                offsetMemory.setAtIndex(ValueLayout.JAVA_LONG, i + 1, total);
            }
            return true;
        }

        private void fillDense(int[] indices, int epoch) {
            allocateDense();
            long sampleBytes = sampleFloats * Float.BYTES;
            inputMemory.asSlice(0, indices.length * sampleBytes).fill((byte) 0);
            for (int i = 0; i < indices.length; i++) {
                checkClosing();
                MemorySegment dst = inputMemory.asSlice(i * sampleBytes, sampleBytes);
                int index = indices[i];
                if (training) {
                    dataset.writeSample(index, dst, new SplittableRandom(mix(seed, epoch, index)));
                } else {
                    dataset.writeSample(index, dst);
                }
            }
            denseFilled = true;
        }

        private void checkClosing() {
            if (closing) {
                throw new CancellationException("the batch loader was closed");
            }
        }

        /** The filled samples {@code indices} as a batch of views, made on the calling thread. */
        Batch batch(int[] indices) {
            int n = indices.length;
            Tensor lab = n == batchSize ? labels : labels.narrow(0, 0, n);
            if (eventForm) {
                long total = offsetMemory.getAtIndex(ValueLayout.JAVA_LONG, n);
                SpikeEvents events = new SpikeEvents(offsets.narrow(0, 0, n + 1L), positions.narrow(0, 0, total),
                        values.narrow(0, 0, total), dataset.channels(), dataset.timeSteps());
                return new Batch(null, events, () -> dense(events, n), lab, indices);
            }
            return new Batch(denseView(n), null, null, lab, indices);
        }

        /** The event batch {@code events} of {@code n} samples in dense form, written on the calling thread once. */
        private Tensor dense(SpikeEvents events, int n) {
            allocateDense();
            if (!denseFilled) {
                MemorySegment dst = inputMemory.asSlice(0, n * sampleFloats * Float.BYTES);
                dst.fill((byte) 0);
                events.writeDense(dst);
                denseFilled = true;
            }
            return denseView(n);
        }

        private Tensor denseView(int n) {
            if (n == 0 && input == null) {
                return Tensors.empty(Device.CPU, torch.ScalarType.Float, 0, dataset.channels(), dataset.timeSteps());
            }
            allocateDense();
            return n == batchSize ? input : input.narrow(0, 0, n);
        }

        void free() {
            labels.releaseReference();
            offsets.releaseReference();
            positions.releaseReference();
            values.releaseReference();
            if (input != null) {
                input.releaseReference();
            }
        }
    }
}
