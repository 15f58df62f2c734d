package snn.interop;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

import org.bytedeco.pytorch.Tensor;

import snn.config.ExperimentConfig;
import snn.models.Parameters;
import snn.models.SpikingNetwork;

/**
 * A network's parameters with everything needed to rebuild it: the run's config and the network's input and class
 * counts.
 *
 * @param config     the run's config; {@code config.model()} describes the network
 * @param inputs     input channels
 * @param classes    output classes
 * @param parameters parameter values by snn name ({@code hidden.0.input.weight}, ...)
 */
public record Checkpoint(ExperimentConfig config, int inputs, int classes, Map<String, Tensor> parameters) {

    /** Copies {@code parameters} into an unmodifiable map, keeping their order (the tensors are shared). */
    public Checkpoint {
        parameters = Collections.unmodifiableMap(new LinkedHashMap<>(parameters));
    }

    /**
     * The current state of {@code net} (sharing its tensors: save or export it before training on).
     *
     * @param net    the network
     * @param config the config it was built and trained with
     * @return the checkpoint, with {@code net}'s input and class counts
     * @throws IllegalArgumentException when {@code config.model()} does not describe {@code net}
     */
    public static Checkpoint of(SpikingNetwork net, ExperimentConfig config) {
        if (!config.model().equals(net.config())) {
            throw new IllegalArgumentException("the config's model " + config.model()
                    + " is not the network's " + net.config());
        }
        return new Checkpoint(config, net.inputs(), net.classes(), Parameters.named(net));
    }

    /** {@return a new network built from the config, holding copies of these parameters} */
    public SpikingNetwork network() {
        SpikingNetwork net = new SpikingNetwork(config.model(), inputs, classes);
        Parameters.load(net, parameters);
        return net;
    }
}
