package snn.models;

import java.util.List;

import org.bytedeco.pytorch.Tensor;

/**
 * A network's outputs for a batch.
 *
 * @param logits          {@code [batch, classes]}
 * @param hiddenSpikes    the spikes of each hidden layer, {@code [batch, neurons, time]}
 * @param readoutMembrane the readout's membrane {@code [batch, classes, time]}
 */
public record NetworkOutput(Tensor logits, List<Tensor> hiddenSpikes, Tensor readoutMembrane) {
}
