package snn.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Adam;
import org.bytedeco.pytorch.AdamOptions;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import snn.config.ConfigLoader;
import snn.config.ExperimentConfig;
import snn.data.SyntheticSpikes;
import snn.models.NetworkOutput;
import snn.models.Parameters;
import snn.models.SpikingNetwork;
import snn.nativekernels.NativeKernels;
import snn.nativekernels.NativeRequirement;
import snn.runtime.Device;
import snn.runtime.Tensors;

/**
 * The library inside a long-lived JVM (a service that trains and evaluates many small networks): round after round,
 * each round trains and evaluates a network with the {@link Trainer} and drives another by hand through training
 * steps, a graph dropped without a backward pass, a step that fails in the middle of its backward pass (a parameter
 * changed in place), no-grad inference, and a graph held across scopes and then dropped. After a warm-up, the native
 * kernels' own state (graphs, saved states, pooled buffers in use) is exactly where it was, and resident memory
 * (VmRSS, with glibc's free pages returned) does not grow. Runs in a JVM of its own with a fixed heap (the
 * {@code native-memory} execution in the pom), like {@link NativeMemoryTest}.
 */
class LongLivedJvmTest {

    static final int WARM_UP = 6;
    static final int ROUNDS = 20;
    static final long RSS_GROWTH_LIMIT = 40_000_000;

    static final List<String> MODELS = List.of(
            "{\"kind\": \"dblock\", \"d\": 3, \"hidden\": [24], \"recurrent\": true, \"kernels\": \"native\"}",
            "{\"kind\": \"block\", \"hidden\": [32], \"kernels\": \"native\"}",
            "{\"kind\": \"standard\", \"hidden\": [20], \"recurrent\": true, \"kernels\": \"native\"}",
            "{\"kind\": \"standard\", \"single_spike\": true, \"hidden\": [20], \"kernels\": \"native\"}");

    static ExperimentConfig config(int round) {
        return ConfigLoader.parse("""
                {"name": "svc%d", "seed": %d, "data": {"synthetic": {"classes": 3, "channels": 24, "t_len": 30,
                 "train_samples": 64, "test_samples": 32}},
                 "model": %s, "training": {"epochs": 1, "batch_size": 16}}"""
                .formatted(round, round, MODELS.get(round % MODELS.size())), List.of(), "test");
    }

    @Test
    void manyNetworksTrainedAndEvaluatedInOneJvmKeepNativeMemoryFlat(@TempDir Path dir) throws Exception {
        NativeRequirement.kernels();
        NativeKernels.Memory baseline = null;
        long rssAfterWarmUp = 0;
        long rssPeak = 0;
        for (int round = 0; round < ROUNDS; round++) {
            round(round, dir.resolve("r" + round));
            if (round + 1 == WARM_UP) {
                baseline = settled();
                rssAfterWarmUp = rss();
            } else if (round + 1 > WARM_UP) {
                NativeKernels.Memory now = settled();
                assertEquals(baseline.graphs(), now.graphs(), "graphs kept after round " + round);
                assertEquals(baseline.savedStates(), now.savedStates(), "saved states kept after round " + round);
                assertEquals(baseline.pooledInUse(), now.pooledInUse(), "pooled bytes in use after round " + round);
                rssPeak = Math.max(rssPeak, rss());
            }
        }
        long growth = rssPeak - rssAfterWarmUp;
        System.out.printf("long-lived JVM: %d rounds, RSS after %d warm-up rounds %.1f MB, peak after %.1f MB,"
                + " growth %.1f MB; kernels' state %s%n", ROUNDS, WARM_UP, rssAfterWarmUp / 1e6, rssPeak / 1e6,
                growth / 1e6, NativeKernels.memory());
        assertTrue(growth < RSS_GROWTH_LIMIT, "resident memory grew by " + growth / 1_000_000 + " MB over "
                + (ROUNDS - WARM_UP) + " rounds");
    }

    /** One round: a network trained and evaluated by the Trainer, and one driven by hand through every case. */
    private static void round(int round, Path runDir) {
        ExperimentConfig c = config(round);
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        TrainingResult result = new Trainer(c, SyntheticSpikes.splits(c.data().synthetic(), c.seed()),
                new PrintStream(log, true, StandardCharsets.UTF_8)).fit(runDir);
        assertTrue(log.toString(StandardCharsets.UTF_8).contains("kernels: native kernels"), "ran on the kernels");
        assertTrue(Double.isFinite(result.test().loss()), "evaluated");

        SpikingNetwork net = new SpikingNetwork(c.model(), 24, 3);
        Adam adam = new Adam(net.parameters(), new AdamOptions(1e-3));
        Tensor x = input(round);
        Tensor labels = Tensors.labels(new long[] {0, 1, 2, 0, 1, 2, 0, 1});
        for (int step = 0; step < 4; step++) {
            try (PointerScope scope = new PointerScope()) {
                Tensor loss = torch.cross_entropy_loss(net.forward(x).logits(), labels);
                loss.backward();
                adam.step();
                adam.zero_grad();
            }
        }
        // a graph dropped without a backward pass
        try (PointerScope scope = new PointerScope()) {
            torch.cross_entropy_loss(net.forward(x).logits(), labels).item_float();
        }
        // an exception in the middle of a step: a parameter changed in place before the backward pass
        try (PointerScope scope = new PointerScope()) {
            Tensor loss = torch.cross_entropy_loss(net.forward(x).logits(), labels);
            Map<String, Tensor> params = Parameters.named(net);
            try (NoGradGuard guard = new NoGradGuard()) {
                params.get("readout.input.weight").mul_(Tensors.scalar(0.5));
            }
            RuntimeException e = assertThrows(RuntimeException.class, loss::backward);
            assertTrue(e.getMessage().contains("modified by an inplace operation"), e.getMessage());
            adam.zero_grad();
        }
        // no-grad inference
        try (PointerScope scope = new PointerScope(); NoGradGuard guard = new NoGradGuard()) {
            NetworkOutput out = net.forward(x);
            assertEquals(8, out.logits().size(0));
        }
        // a graph held beyond its scope, then dropped
        Tensor held;
        try (PointerScope scope = new PointerScope()) {
            held = net.forward(x).logits();
            held.retainReference();
        }
        held.releaseReference();
    }

    /** A sparse batch of 8 samples, 24 channels, 30 steps. */
    private static Tensor input(long seed) {
        torch.manual_seed(seed);
        return torch.rand(new long[] {8, 24, 30}, Tensors.float32()).lt(Tensors.scalar(0.05))
                .to(torch.ScalarType.Float);
    }

    /**
     * The kernels' state once what the round left to the garbage collector is freed, and the nodes a failed
     * backward pass leaves in the thread's autograd queue are drained (by a backward pass of nothing).
     */
    private static NativeKernels.Memory settled() throws InterruptedException {
        NativeKernels.Memory last = null;
        for (int i = 0; i < 20; i++) {
            try (PointerScope scope = new PointerScope()) {
                Tensors.zeros(Device.CPU, 1).set_requires_grad(true).sum().backward();
            }
            System.gc();
            Thread.sleep(50);
            Pointer.deallocateReferences();
            NativeKernels.Memory now = NativeKernels.memory();
            if (now.equals(last)) {
                return now;
            }
            last = now;
        }
        return last;
    }

    private static long rss() {
        NativeMemoryTest.trimMalloc();
        return NativeMemoryTest.residentBytes();
    }
}
