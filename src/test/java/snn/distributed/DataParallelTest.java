package snn.distributed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.IntStream;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.LongOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import snn.config.ConfigLoader;
import snn.config.ModelConfig;
import snn.config.SyntheticConfig;
import snn.core.DistributedException;
import snn.core.TrainingException;
import snn.data.Batch;
import snn.data.BatchLoader;
import snn.data.DatasetSplits;
import snn.data.SyntheticSpikes;
import snn.models.NetworkOutput;
import snn.models.Parameters;
import snn.models.SpikingNetwork;
import snn.neurons.Initialisation;
import snn.runtime.Tensors;
import snn.runtime.TorchRuntime;
import snn.training.Evaluation;
import snn.training.Evaluator;
import snn.training.RunAgreement;

/**
 * Data-parallel steps over real c10d groups (a TCP store and Gloo on loopback), with the ranks as threads of this JVM:
 * the all-reduced gradient is the whole batch's, every rank ends with the same bits, evaluation adds up, and the
 * failures at start and during a run are reported naming the rank.
 */
class DataParallelTest {

    static final DatasetSplits DATA = SyntheticSpikes.splits(SyntheticConfig.builder().classes(4).channels(40).tLen(30)
            .samples(64, 40).noise(2.0, 0.1, 0.05).build(), 11);
    static final ModelConfig MODEL = ModelConfig.dblock(3).hidden(32).recurrent(true).build();
    static final Duration TIMEOUT = Duration.ofSeconds(30);

    @BeforeAll
    static void init() {
        TorchRuntime.ensureInitialised();
    }

    static SpikingNetwork network() {
        return Initialisation.seeded(5, () -> new SpikingNetwork(MODEL, 40, 4));
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** Runs {@code body} as every rank of a group of {@code world} on loopback, one thread each; results by rank. */
    static <T> List<T> onRanks(int world, Duration timeout, Function<ProcessGroup, T> body) throws Exception {
        int port = freePort();
        ExecutorService pool = Executors.newFixedThreadPool(world);
        try {
            List<Future<T>> ranks = new ArrayList<>();
            for (int r = 0; r < world; r++) {
                DistributedEnv env = new DistributedEnv(r, world, r, world, "127.0.0.1", port, false, 0);
                ranks.add(pool.submit(() -> {
                    ProcessGroup group = ProcessGroup.join(env, timeout);
                    try {
                        return body.apply(group);
                    } finally {
                        group.close();
                    }
                }));
            }
            List<T> results = new ArrayList<>();
            for (Future<T> f : ranks) {
                results.add(f.get(120, TimeUnit.SECONDS));
            }
            return results;
        } finally {
            pool.shutdownNow();
        }
    }

    /** One rank's view of a step on the samples {@code batch}: its share's forward and backward, then the reduce. */
    record Outcome(DataParallel.Step step, Map<String, float[]> gradients) {
    }

    static Outcome step(ProcessGroup group, int[] batch, boolean poison) {
        SpikingNetwork net = network();
        int[] mine = new BatchLoader.Share(group.rank(), group.size()).of(batch);
        try (DataParallel parallel = new DataParallel(net, group);
                BatchLoader loader = new BatchLoader(DATA.train(), batch.length, false, false, 0);
                PointerScope scope = new PointerScope()) {
            parallel.checkInSync("after the seeded initialisation"); // every rank drew the same weights
            parallel.broadcastParameters();
            float loss = 0;
            long correct = 0;
            if (mine.length > 0) {
                Batch b = loader.load(mine);
                NetworkOutput out = net.forward(b.input());
                Tensor l = torch.cross_entropy_loss(out.logits(), b.labels());
                loss = poison ? Float.NaN : l.item_float();
                correct = out.logits().argmax(new LongOptional(1), false).eq(b.labels()).sum().item_long();
                if (!poison) {
                    l.backward();
                }
            }
            DataParallel.Step step = parallel.reduce(mine.length, loss, correct);
            return new Outcome(step, gradients(net));
        }
    }

    static Map<String, float[]> gradients(SpikingNetwork net) {
        Map<String, float[]> g = new LinkedHashMap<>();
        Parameters.named(net).forEach((k, p) -> {
            if (p.grad().defined()) {
                g.put(k, Tensors.toArray(p.grad()));
            }
        });
        return g;
    }

    /** The single-process step on the whole batch. */
    static Outcome whole(int[] batch) {
        return step(ProcessGroup.single(), batch, false);
    }

    @Test
    void theAllReducedGradientIsTheWholeBatchsOnEveryRank() throws Exception {
        // 13 samples: shares of 6 and 7, so the ranks' gradients must be weighted by their counts.
        int[] batch = IntStream.range(0, 13).map(i -> 3 * i + 1).toArray();
        Outcome single = whole(batch);
        List<Outcome> ranks = onRanks(2, TIMEOUT, g -> step(g, batch, false));
        for (Outcome rank : ranks) {
            assertEquals(13, rank.step().samples());
            assertEquals(single.step().correct(), rank.step().correct());
            assertEquals(single.step().lossSum(), rank.step().lossSum(), 1e-5 * single.step().lossSum());
            assertEquals(single.gradients().keySet(), rank.gradients().keySet());
            single.gradients().forEach((name, expected) -> assertClose(expected, rank.gradients().get(name), name));
        }
        // Every rank holds the same bits, so the optimiser steps identically everywhere.
        ranks.get(0).gradients().forEach((name, g) -> assertArrayEquals(g, ranks.get(1).gradients().get(name), name));
    }

    @Test
    void aRankWithAnEmptyShareTakesPartWithNothing() throws Exception {
        // One sample over two ranks: rank 0's share is empty, it runs no forward and holds no gradient until the
        // all-reduce gives it rank 1's.
        int[] batch = {7};
        Outcome single = whole(batch);
        List<Outcome> ranks = onRanks(2, TIMEOUT, g -> step(g, batch, false));
        for (Outcome rank : ranks) {
            assertEquals(1, rank.step().samples());
            assertTrue(rank.step().finite());
            single.gradients().forEach((name, expected) -> assertClose(expected, rank.gradients().get(name), name));
        }
    }

    @Test
    void aNonFiniteLossOnOneRankSkipsTheStepOnEvery() throws Exception {
        int[] batch = IntStream.range(0, 8).toArray();
        List<Outcome> ranks = onRanks(2, TIMEOUT, g -> step(g, batch, g.rank() == 1));
        for (Outcome rank : ranks) {
            assertFalse(rank.step().finite(), "rank 1's NaN stops rank 0's step too");
        }
    }

    @Test
    void evaluationAddsUpTheRanksCounts() throws Exception {
        SpikingNetwork reference = network();
        Evaluation single = Evaluator.evaluate(reference, DATA.test(), 7);
        // 40 samples in batches of 7 over 3 ranks, whose shares of the last batch (5 samples) are uneven.
        List<Evaluation> ranks = onRanks(3, TIMEOUT, g -> Evaluator.evaluate(network(), DATA.test(), 7, g));
        for (Evaluation e : ranks) {
            assertEquals(single.accuracy(), e.accuracy(), 0.0);
            assertEquals(single.loss(), e.loss(), 1e-6 * Math.abs(single.loss()));
            assertEquals(single.spikesPerSample(), e.spikesPerSample());
            for (int i = 0; i < single.confusion().length; i++) {
                assertArrayEquals(single.confusion()[i], e.confusion()[i]);
            }
        }
    }

    @Test
    void everyRankGetsEveryRanksTextByRank() throws Exception {
        List<List<String>> gathered = onRanks(3, TIMEOUT, g -> g.allGatherText("hosts", "rank " + g.rank()));
        for (List<String> texts : gathered) {
            assertEquals(List.of("rank 0", "rank 1", "rank 2"), texts);
        }
    }

    @Test
    void ranksStartedDifferentlyAreNamedWithTheValuesThatDiffer() throws Exception {
        List<String> messages = onRanks(2, TIMEOUT, g -> {
            JsonNode facts = ConfigLoader.mapper().createObjectNode().set("training",
                    ConfigLoader.mapper().createObjectNode().put("epochs", 3 + g.rank()).put("lr", 0.001));
            return assertThrows(DistributedException.class, () -> RunAgreement.compare(g, "run", facts)).getMessage();
        });
        for (String m : messages) {
            assertTrue(m.startsWith("the ranks were started with different runs (values shown as rank 0 -> rank r):"
                    + " rank 1 differs from rank 0 in training.epochs 3 -> 4."), m);
        }
    }

    @Test
    void aRankThatFailsStopsTheOthersAtOnceNamingIt() throws Exception {
        long start = System.nanoTime();
        List<String> messages = onRanks(2, TIMEOUT, g -> {
            if (g.rank() == 1) {
                g.fail(new TrainingException("cannot write results/x/model.pt: no space left on the device"));
                return "";
            }
            return assertThrows(DistributedException.class,
                    () -> g.allGatherText("run", "{}")).getMessage();
        });
        assertEquals("rank 0 stops: rank 1 failed: cannot write results/x/model.pt: no space left on the device",
                messages.get(0));
        assertTrue(System.nanoTime() - start < TIMEOUT.toNanos() / 2, "without waiting for the timeout");
    }

    @Test
    void rankZeroFailingOnItsOwnIsNamedByTheOthersInTheMiddleOfACollective() throws Exception {
        // Rank 0 hosts the store, which ends with it: it closes its collectives first and keeps the store up for the
        // others to read why.
        long start = System.nanoTime();
        List<String> messages = onRanks(2, TIMEOUT, g -> {
            g.barrier("the start");
            if (g.leads()) {
                g.fail(new TrainingException("cannot write results/x/metrics.csv: no space left on the device"));
                return "";
            }
            return assertThrows(DistributedException.class,
                    () -> g.allReduceSum(Tensors.zeros(1000), "the gradient all-reduce")).getMessage();
        });
        assertTrue(messages.get(1).startsWith("rank 1 stops: rank 0 failed: cannot write results/x/metrics.csv: no"
                + " space left on the device at start-up (the gradient all-reduce failed: "), messages.get(1));
        assertTrue(System.nanoTime() - start < TIMEOUT.toNanos() / 2, "without waiting for the timeout");
    }

    @Test
    void aRankThatNeverJoinsIsNamedAfterTheTimeout() {
        DistributedException e = assertThrows(DistributedException.class, () -> ProcessGroup.join(
                new DistributedEnv(0, 3, 0, 3, "127.0.0.1", freePort(), false, 0), Duration.ofSeconds(2)));
        assertTrue(e.getMessage().startsWith("ranks 1, 2 did not come to join within 2 s (rank 0 waited; world size"
                + " 3)"), e.getMessage());
    }

    @Test
    void aPortInUseIsNamed() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            int port = taken.getLocalPort();
            DistributedException e = assertThrows(DistributedException.class, () -> ProcessGroup.join(
                    new DistributedEnv(0, 2, 0, 2, "127.0.0.1", port, false, 0), Duration.ofSeconds(5)));
            assertTrue(e.getMessage().startsWith("rank 0 cannot host the rendezvous store on port " + port
                    + " (MASTER_PORT): the port is in use"), e.getMessage());
        }
    }

    @Test
    void anUnreachableMasterIsNamed() throws Exception {
        int port = freePort();
        long start = System.nanoTime();
        DistributedException e = assertThrows(DistributedException.class, () -> ProcessGroup.join(
                new DistributedEnv(1, 2, 1, 2, "127.0.0.1", port, false, 0), Duration.ofSeconds(2)));
        assertTrue(e.getMessage().startsWith("rank 1 cannot reach the rendezvous store at 127.0.0.1:" + port
                + " (MASTER_ADDR:MASTER_PORT) within 2 s: rank 0 is not running there"), e.getMessage());
        assertTrue(System.nanoTime() - start < Duration.ofSeconds(15).toNanos(), "c10d retries once after the timeout");
    }

    /** Equal up to the order of floating-point additions: 1e-5 of the largest magnitude (the measured gap is ~1e-7). */
    static void assertClose(float[] expected, float[] actual, String name) {
        assertEquals(expected.length, actual.length, name);
        float scale = 0;
        for (float v : expected) {
            scale = Math.max(scale, Math.abs(v));
        }
        assertTrue(scale > 0, name + " has a gradient");
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], 1e-5f * scale, name + "[" + i + "]");
        }
    }
}
