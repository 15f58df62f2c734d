package snn.bench;

import java.util.List;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Adam;
import org.bytedeco.pytorch.AdamOptions;
import org.bytedeco.pytorch.CrossEntropyLossOptions;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import snn.models.NetworkOutput;
import snn.models.SpikingNetwork;
import snn.neurons.LayerOutput;

/**
 * Times training steps of one network on a fixed batch: forward (input projections, dynamics and the loss), backward
 * ({@code loss.backward()}) and the optimiser (Adam step with learning rate 0, and zero_grad), each with the wall
 * clock. On the CPU
 * libtorch runs synchronously, so no device synchronisation is needed. Every step runs inside its own
 * {@link PointerScope}: its tensors are freed when it ends.
 */
final class MethodHarness {

    /**
     * Learning rate of the timed Adam steps: zero, so that Adam does all its arithmetic (moments, bias correction,
     * the update) but the parameters stay where they were initialised. Every repeat then measures the same network,
     * and the spike counts are those of the initial network for every method (the benchmark's loss, the sum of
     * spikes, would otherwise silence the network within a few steps, differently for each method).
     */
    static final double LEARNING_RATE = 0;

    private final SpikingNetwork network;
    private final Adam optimizer;
    private final BenchConfig.Scope scope;
    private final Tensor input;
    private final Tensor labels;

    /** One training step's wall-clock times and activity. */
    record Step(double forwardMs, double backwardMs, double optimizerMs, double spikesPerSample) {
    }

    /**
     * @param labels class indices {@code [batch]} for {@link BenchConfig.Scope#NETWORK}, else null
     */
    MethodHarness(SpikingNetwork network, BenchConfig.Scope scope, Tensor input, Tensor labels) {
        this.network = network;
        this.scope = scope;
        this.input = input;
        this.labels = labels;
        this.optimizer = new Adam(network.parameters(), new AdamOptions(LEARNING_RATE));
    }

    /** {@return the kernels the network runs: {@code native} or {@code torch}} */
    String kernels() {
        return network.kernels().name();
    }

    /** Runs and times one training step. */
    @SuppressWarnings("try") // the scope frees the step's tensors
    Step step() {
        try (PointerScope ignored = new PointerScope()) {
            long start = System.nanoTime();
            List<Tensor> spikes;
            Tensor loss;
            if (scope == BenchConfig.Scope.HIDDEN) {
                spikes = network.forwardHidden(input).stream().map(LayerOutput::spikes).toList();
                loss = spikes.get(spikes.size() - 1).sum();
            } else {
                NetworkOutput out = network.forward(input);
                spikes = out.hiddenSpikes();
                loss = torch.cross_entropy(out.logits(), labels, new CrossEntropyLossOptions());
            }
            long forwardEnd = System.nanoTime();
            loss.backward();
            long backwardEnd = System.nanoTime();
            optimizer.step();
            optimizer.zero_grad();
            long end = System.nanoTime();
            double count = 0;
            for (Tensor s : spikes) {
                count += s.detach().sum().item_float();
            }
            return new Step(millis(forwardEnd - start), millis(backwardEnd - forwardEnd), millis(end - backwardEnd),
                    count / input.size(0));
        }
    }

    private static double millis(long nanos) {
        return nanos / 1e6;
    }
}
