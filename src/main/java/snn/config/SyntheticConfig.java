package snn.config;

/**
 * The built-in synthetic task: each class has its own spike-time pattern over the channels; samples are that
 * pattern with jittered spike times, dropped spikes and background noise. Deterministic from the run's seed.
 *
 * @param classes      number of classes (default 10)
 * @param channels     input channels (default 100)
 * @param tLen         time steps (default 100)
 * @param trainSamples training samples (default 2000)
 * @param testSamples  test samples (default 500)
 * @param jitter       standard deviation of spike-time jitter in steps (default 4)
 * @param dropout      probability that a pattern spike is dropped (default 0.2)
 * @param noiseRate    probability of a background spike per channel and step (default 0.005)
 */
public record SyntheticConfig(Integer classes, Integer channels, Integer tLen, Integer trainSamples,
        Integer testSamples, Double jitter, Double dropout, Double noiseRate) {

    /** The defaults. */
    public static final SyntheticConfig DEFAULT = new SyntheticConfig(null, null, null, null, null, null, null, null);

    /** Fills in the defaults of settings left null. */
    public SyntheticConfig {
        classes = classes != null ? classes : 10;
        channels = channels != null ? channels : 100;
        tLen = tLen != null ? tLen : 100;
        trainSamples = trainSamples != null ? trainSamples : 2000;
        testSamples = testSamples != null ? testSamples : 500;
        jitter = jitter != null ? jitter : 4.0;
        dropout = dropout != null ? dropout : 0.2;
        noiseRate = noiseRate != null ? noiseRate : 0.005;
    }
}
