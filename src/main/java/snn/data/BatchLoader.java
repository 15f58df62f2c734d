package snn.data;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.SplittableRandom;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;

import snn.neurons.Tensors;

/**
 * Turns a {@link SpikeDataset} into batches: samples are written straight into preallocated tensor memory
 * (two buffers, so a background thread fills the next batch while the current one trains), in an order shuffled
 * per epoch from the run's seed. The last partial batch is kept, as in the papers.
 *
 * <p>Only one epoch may be iterated at a time, and a batch is valid until the next one is requested.
 */
public final class BatchLoader implements AutoCloseable {

    private final SpikeDataset dataset;
    private final int batchSize;
    private final boolean shuffle;
    private final boolean training;
    private final long seed;
    private final long sampleFloats;
    private final Buffer[] buffers;
    private final ExecutorService prefetcher;

    /**
     * Allocates the two batch buffers and starts the prefetching thread; {@link #close()} stops it.
     *
     * @param dataset   the samples to batch
     * @param batchSize samples per batch (at most the dataset's size)
     * @param shuffle   reshuffle the order every epoch (from {@code seed} and the epoch number)
     * @param training  pass each sample a random generator for augmentation (seeded by seed, epoch and index)
     * @param seed      the run's seed, for the order and the augmentation
     */
    public BatchLoader(SpikeDataset dataset, int batchSize, boolean shuffle, boolean training, long seed) {
        this.dataset = dataset;
        this.batchSize = Math.min(batchSize, Math.max(1, dataset.size()));
        this.shuffle = shuffle;
        this.training = training;
        this.seed = seed;
        this.sampleFloats = (long) dataset.channels() * dataset.timeSteps();
        this.buffers = new Buffer[] {new Buffer(), new Buffer()};
        this.prefetcher = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "snn-prefetch-" + dataset.name());
            t.setDaemon(true);
            return t;
        });
    }

    /** {@return the number of batches per epoch, the last one possibly partial} */
    public int batchesPerEpoch() {
        return (dataset.size() + batchSize - 1) / batchSize;
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
     * @return the batches in order; each is valid until the next call to {@code next()}
     */
    public Iterator<Batch> epoch(int epoch) {
        int[] order = order(epoch);
        int count = batchesPerEpoch();
        return new Iterator<>() {
            private int next;
            private Future<Batch> pending = count > 0 ? submit(0) : null;

            private Future<Batch> submit(int b) {
                int from = b * batchSize;
                int to = Math.min(order.length, from + batchSize);
                int[] indices = java.util.Arrays.copyOfRange(order, from, to);
                Buffer buffer = buffers[b % 2];
                return prefetcher.submit(() -> buffer.fill(indices, epoch));
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
                Batch batch;
                try {
                    batch = pending.get();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while loading a batch", e);
                } catch (java.util.concurrent.ExecutionException e) {
                    Throwable cause = e.getCause();
                    if (cause instanceof RuntimeException re) {
                        throw re;
                    }
                    throw new IllegalStateException("loading a batch failed", cause);
                }
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
        if (indices.length > batchSize) {
            throw new IllegalArgumentException("at most " + batchSize + " samples per batch, got " + indices.length);
        }
        return buffers[0].fill(indices, 0);
    }

    @Override
    public void close() {
        prefetcher.shutdownNow();
    }

    private static long mix(long seed, long epoch, long index) {
        long z = seed * 0x9E3779B97F4A7C15L + epoch * 0xBF58476D1CE4E5B9L + index * 0x94D049BB133111EBL;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** One preallocated input tensor and label tensor, with FFM views of their memory. */
    private final class Buffer {
        final Tensor input = torch.empty(new long[] {batchSize, dataset.channels(), dataset.timeSteps()},
                Tensors.float32(), null);
        final Tensor labels = torch.empty(new long[] {batchSize},
                new TensorOptions().dtype(new org.bytedeco.pytorch.ScalarTypeOptional(torch.ScalarType.Long)), null);
        final MemorySegment inputMemory = MemorySegment.ofAddress(input.data_ptr().address())
                .reinterpret(input.nbytes());
        final MemorySegment labelMemory = MemorySegment.ofAddress(labels.data_ptr().address())
                .reinterpret(labels.nbytes());

        Batch fill(int[] indices, int epoch) {
            long sampleBytes = sampleFloats * Float.BYTES;
            inputMemory.asSlice(0, indices.length * sampleBytes).fill((byte) 0);
            for (int i = 0; i < indices.length; i++) {
                MemorySegment sample = inputMemory.asSlice(i * sampleBytes, sampleBytes);
                int index = indices[i];
                if (training) {
                    dataset.writeSample(index, sample, new SplittableRandom(mix(seed, epoch, index)));
                } else {
                    dataset.writeSample(index, sample);
                }
                labelMemory.setAtIndex(ValueLayout.JAVA_LONG, i, dataset.label(index));
            }
            Tensor in = indices.length == batchSize ? input : input.narrow(0, 0, indices.length);
            Tensor lab = indices.length == batchSize ? labels : labels.narrow(0, 0, indices.length);
            return new Batch(in, lab, indices);
        }
    }
}
