// A program that uses snn as a library: build a d-block network, train it on the built-in synthetic task, evaluate,
// save, reload and predict.
//
// It needs a JDK 22 or newer (snn uses the Foreign Function & Memory API; its classes are Java 22 bytecode, which an
// older java refuses with "class file has wrong version 66.0"), the flag --enable-native-access=ALL-UNNAMED, from
// JDK 23 on also --sun-misc-unsafe-memory-access=allow (JavaCPP), and snn's jar with its dependencies on the class
// path. The default `java` may be older: bin/find-jdk prints a suitable JDK and, with --jvm-flags, the flags that JDK
// needs. From the checkout's root (.ci/run runs these lines exactly as written; DIR, optional, keeps the run folder):
//
//   $ bin/mvn -B -q -DskipTests package
//   $ jdk=$(bin/find-jdk) && "$jdk/bin/java" $(bin/find-jdk --jvm-flags "$jdk") -cp "target/snn.jar:target/lib/*" examples/GettingStarted.java
//
// With a JDK 25 as `java` the second line is: java --enable-native-access=ALL-UNNAMED
// --sun-misc-unsafe-memory-access=allow -cp "target/snn.jar:target/lib/*" examples/GettingStarted.java [DIR]
// In a project of your own, depend on dev.snn:snn instead (README, "Using snn as a library"; examples/consumer).
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import snn.api.Snn;
import snn.config.DataConfig;
import snn.config.ExperimentConfig;
import snn.config.ModelConfig;
import snn.config.SyntheticConfig;
import snn.config.TrainingConfig;

public class GettingStarted {

    public static void main(String[] args) throws Exception {
        Path dir = args.length > 0 ? Path.of(args[0]) : Files.createTempDirectory("snn-example");

        // 1. Describe the experiment: data, model and training protocol (validated when built).
        ExperimentConfig config = ExperimentConfig.builder()
                .name("getting-started")
                .seed(1)
                .data(DataConfig.synthetic(SyntheticConfig.builder().classes(5).channels(60).tLen(50)
                        .samples(800, 200).build()))
                .model(ModelConfig.dblock(5).hidden(64).recurrent(true).build())
                .training(TrainingConfig.builder().epochs(4).batchSize(32).lr(2e-3).build())
                .build();

        // 2. Train; the run's metrics, summary, curves and selected model go to dir/run.
        var data = Snn.open(config.data(), config.seed());
        var result = Snn.training(config).data(data).fit(dir.resolve("run"));
        System.out.printf("test accuracy %.1f%%%n", 100 * result.test().accuracy());

        // 3. Reload the selected model from its checkpoint and predict a few test samples.
        var net = Snn.load(result.model()).network();
        int[] predicted = Snn.predict(net, data.test(), 0, 1, 2, 3, 4);
        for (int i = 0; i < predicted.length; i++) {
            System.out.printf("sample %d: label %d, predicted %d%n", i, data.test().label(i), predicted[i]);
        }

        // 4. Save it again, for example after fine-tuning, and check the copy predicts the same.
        Path copy = dir.resolve("copy.pt");
        Snn.save(net, config, copy);
        int[] again = Snn.predict(Snn.load(copy).network(), data.test(), 0, 1, 2, 3, 4);
        boolean agrees = Arrays.equals(predicted, again);
        System.out.println(agrees ? "reloaded copy agrees" : "MISMATCH");
        if (!agrees || result.test().accuracy() < 0.4) { // 5 classes: chance is 20 %
            System.exit(1);
        }
    }
}
