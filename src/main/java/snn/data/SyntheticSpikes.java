package snn.data;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

import snn.config.SyntheticConfig;

/**
 * The built-in synthetic task (no download): each class owns a spike-time pattern (about half of the channels
 * fire once, at a class-specific step); a sample is its class pattern with Gaussian jitter on every spike time,
 * randomly dropped spikes and uniform background noise. Learning it needs temporal information: every class uses
 * the same channels at similar rates, so spike counts alone barely separate them.
 *
 * <p>Samples are generated on demand from (seed, split, index): deterministic, nothing held in memory.
 */
public final class SyntheticSpikes implements SpikeDataset {

    private static final long TEST_STREAM = 0x9E3779B97F4A7C15L;

    private final SyntheticConfig config;
    private final int[][] patternTimes;
    private final int size;
    private final long stream;

    private SyntheticSpikes(SyntheticConfig config, int[][] patternTimes, int size, long stream) {
        this.config = config;
        this.patternTimes = patternTimes;
        this.size = size;
        this.stream = stream;
    }

    /**
     * The task's training and test splits. Class patterns come from {@code seed}; the two splits draw their samples
     * from separate streams.
     *
     * @param config the task's size, shape and noise
     * @param seed   the seed of the class patterns and samples; equal seeds give equal data
     * @return the training and test splits, without a validation split
     */
    public static DatasetSplits splits(SyntheticConfig config, long seed) {
        SplittableRandom patterns = new SplittableRandom(seed);
        int[][] times = new int[config.classes()][config.channels()];
        for (int[] classTimes : times) {
            for (int c = 0; c < classTimes.length; c++) {
                // -1: the channel is silent in this class's pattern.
                classTimes[c] = patterns.nextBoolean() ? patterns.nextInt(config.tLen()) : -1;
            }
        }
        long trainStream = patterns.nextLong();
        return new DatasetSplits(new SyntheticSpikes(config, times, config.trainSamples(), trainStream), null,
                new SyntheticSpikes(config, times, config.testSamples(), trainStream ^ TEST_STREAM));
    }

    private SplittableRandom random(int index) {
        return new SplittableRandom(stream + 0x632BE59BD9B4E019L * (index + 1));
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public int channels() {
        return config.channels();
    }

    @Override
    public int timeSteps() {
        return config.tLen();
    }

    @Override
    public int classes() {
        return config.classes();
    }

    @Override
    public int label(int index) {
        return random(index).nextInt(config.classes());
    }

    @Override
    public void writeSample(int index, MemorySegment dst) {
        SplittableRandom rng = random(index);
        int label = rng.nextInt(config.classes());
        int steps = config.tLen();
        int[] pattern = patternTimes[label];
        for (int c = 0; c < pattern.length; c++) {
            if (pattern[c] < 0 || rng.nextDouble() < config.dropout()) {
                continue;
            }
            long t = Math.round(pattern[c] + gaussian(rng) * config.jitter());
            if (t >= 0 && t < steps) {
                add(dst, (long) c * steps + t);
            }
        }
        if (config.noiseRate() > 0) {
            // Background spikes: geometric gaps between successive noisy (channel, step) cells.
            long cells = (long) pattern.length * steps;
            double logKeep = Math.log1p(-config.noiseRate());
            long cell = -1;
            while (true) {
                cell += 1 + (long) Math.floor(Math.log(1 - rng.nextDouble()) / logKeep);
                if (cell >= cells || config.noiseRate() == 0) {
                    break;
                }
                add(dst, cell);
            }
        }
    }

    private static void add(MemorySegment dst, long floatIndex) {
        dst.setAtIndex(ValueLayout.JAVA_FLOAT, floatIndex, dst.getAtIndex(ValueLayout.JAVA_FLOAT, floatIndex) + 1f);
    }

    private static double gaussian(SplittableRandom rng) {
        // Box-Muller; SplittableRandom has no nextGaussian with a fixed algorithm across JDKs.
        double u = 1 - rng.nextDouble();
        double v = rng.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }

    @Override
    public String name() {
        return "synthetic";
    }
}
