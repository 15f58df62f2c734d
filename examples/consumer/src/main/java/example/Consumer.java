package example;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import snn.api.Snn;
import snn.config.DataConfig;
import snn.config.ExperimentConfig;
import snn.config.ModelConfig;
import snn.config.SyntheticConfig;
import snn.config.TrainingConfig;
import snn.core.SnnException;
import snn.training.EpochMetrics;
import snn.training.RunFolder;
import snn.training.TrainingListener;

/**
 * Trains a small recurrent d-block network on snn's synthetic task through the library, as a program that depends on
 * the installed artifact does, and checks what it gets: a test accuracy well above chance, and (unless
 * {@code --allow-torch-ops} is given) the native kernels the jar carries rather than LibTorch ops.
 *
 * <p>Exit status 0 when both hold, 1 when one does not, 2 for an {@link SnnException} (as snn's own CLI).
 */
public final class Consumer {

    private Consumer() {
    }

    public static void main(String[] args) throws Exception {
        boolean allowTorchOps = List.of(args).contains("--allow-torch-ops");
        int classes = 5;
        ExperimentConfig config = ExperimentConfig.builder()
                .name("consumer")
                .seed(3)
                .data(DataConfig.synthetic(SyntheticConfig.builder().classes(classes).channels(60).tLen(50)
                        .samples(800, 200).build()))
                .model(ModelConfig.dblock(5).hidden(64).recurrent(true).build())
                .training(TrainingConfig.builder().epochs(4).batchSize(32).lr(2e-3).build())
                .build();
        Path run = Files.createTempDirectory("snn-consumer");

        // Progress goes to a buffer (a service would pass its log's stream); the listener prints one line per epoch.
        ByteArrayOutputStream progress = new ByteArrayOutputStream();
        TrainingListener perEpoch = new TrainingListener() {
            @Override
            public void epochEnded(RunFolder folder, List<EpochMetrics> history) {
                EpochMetrics last = history.getLast();
                System.out.printf("epoch %d: loss %.4f, test accuracy %.1f%%%n", last.epoch(), last.trainLoss(),
                        100 * last.testAccuracy());
            }
        };
        try {
            var result = Snn.training(config)
                    .log(new PrintStream(progress, true, StandardCharsets.UTF_8))
                    .figures(false)
                    .listener(perEpoch)
                    .fit(run);
            var net = Snn.load(result.model()).network();
            var selection = net.kernelSelection();
            double accuracy = result.test().accuracy();
            double chance = 1.0 / classes;
            System.out.println("kernels: " + selection.describe());
            System.out.printf("selected epoch %d: test accuracy %.1f%% (chance %.0f%%)%n", result.bestEpoch(),
                    100 * accuracy, 100 * chance);
            boolean ok = true;
            if (accuracy < 2 * chance) {
                System.err.println("FAIL: test accuracy " + accuracy + " is not clearly above chance " + chance);
                ok = false;
            }
            if (!selection.isNative() && !allowTorchOps) {
                System.err.println("FAIL: the native kernels did not load from the snn jar: " + selection.describe()
                        + " (pass --allow-torch-ops where snn was built without a C compiler)");
                ok = false;
            }
            System.exit(ok ? 0 : 1);
        } catch (SnnException e) {
            System.err.println("snn: " + e.getMessage());
            System.exit(2);
        }
    }
}
