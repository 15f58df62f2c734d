package snn.config;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * The network: hidden layers of one neuron kind, then a non-spiking leaky-integrator readout.
 *
 * @param kind            {@code standard} (sequential LIF), {@code block} (single spike) or {@code dblock}
 * @param hidden          neurons of each hidden layer, e.g. {@code [128]} or {@code [400, 400]}
 * @param recurrent       recurrent hidden layers ({@code standard}, {@code dblock})
 * @param singleSpike     {@code standard} only: at most one spike per neuron (else multi-spike with reset)
 * @param d               {@code dblock} only: the number of blocks
 * @param detachRecurrent {@code dblock} only: no gradient through the recurrent spikes (default true)
 * @param recurrentInput  {@code dblock} only: {@code max} (default) or {@code sum} of the previous block's spikes
 * @param readout         logits = readout membrane summed over time ({@code sum}) or its maximum ({@code max})
 * @param hiddenTau       hidden time constant in time steps: beta = exp(-1/tau) (default 10)
 * @param readoutTau      readout time constant in time steps (default 20)
 * @param perNeuronBeta   one beta per neuron (default) or one per layer
 * @param learnBeta       beta trained with the weights (default true)
 * @param surrogate       the spike function's pseudo-derivative (default fast sigmoid, scale 10)
 * @param kernels         {@code torch} (LibTorch ops) or {@code native} (fused C kernels, when built)
 */
public record ModelConfig(
        Kind kind,
        List<Integer> hidden,
        Boolean recurrent,
        Boolean singleSpike,
        Integer d,
        Boolean detachRecurrent,
        RecurrentInput recurrentInput,
        Readout readout,
        Double hiddenTau,
        Double readoutTau,
        Boolean perNeuronBeta,
        Boolean learnBeta,
        SurrogateConfig surrogate,
        Kernels kernels) {

    public ModelConfig {
        hidden = hidden == null ? List.of(128) : List.copyOf(hidden);
        recurrent = recurrent != null ? recurrent : false;
        singleSpike = singleSpike != null ? singleSpike : false;
        detachRecurrent = detachRecurrent != null ? detachRecurrent : true;
        recurrentInput = recurrentInput != null ? recurrentInput : RecurrentInput.MAX;
        readout = readout != null ? readout : Readout.SUM;
        hiddenTau = hiddenTau != null ? hiddenTau : 10.0;
        readoutTau = readoutTau != null ? readoutTau : 20.0;
        perNeuronBeta = perNeuronBeta != null ? perNeuronBeta : true;
        learnBeta = learnBeta != null ? learnBeta : true;
        surrogate = surrogate != null ? surrogate : SurrogateConfig.DEFAULT;
        kernels = kernels != null ? kernels : Kernels.TORCH;
    }

    /** The hidden neuron model. */
    public enum Kind {
        @JsonProperty("standard") STANDARD,
        @JsonProperty("block") BLOCK,
        @JsonProperty("dblock") DBLOCK
    }

    /** How logits are read from the readout membrane. */
    public enum Readout {
        @JsonProperty("sum") SUM,
        @JsonProperty("max") MAX
    }

    /** Reduction of a block's spikes fed to the next block. */
    public enum RecurrentInput {
        @JsonProperty("max") MAX,
        @JsonProperty("sum") SUM
    }

    /** Which implementation computes the neuron dynamics. */
    public enum Kernels {
        @JsonProperty("torch") TORCH,
        @JsonProperty("native") NATIVE
    }
}
