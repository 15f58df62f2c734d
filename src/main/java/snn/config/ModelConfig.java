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

    /** A builder for the standard LIF network (multi-spike unless {@link Builder#singleSpike}). */
    public static Builder standard() {
        return new Builder(Kind.STANDARD);
    }

    /** A builder for the single-spike block network. */
    public static Builder block() {
        return new Builder(Kind.BLOCK);
    }

    /** A builder for the d-block network with {@code d} blocks. */
    public static Builder dblock(int d) {
        return new Builder(Kind.DBLOCK).d(d);
    }

    /** Builds a {@link ModelConfig}; every setting not given keeps the default documented on the record. */
    public static final class Builder {
        private final Kind kind;
        private List<Integer> hidden;
        private Boolean recurrent;
        private Boolean singleSpike;
        private Integer d;
        private Boolean detachRecurrent;
        private RecurrentInput recurrentInput;
        private Readout readout;
        private Double hiddenTau;
        private Double readoutTau;
        private Boolean perNeuronBeta;
        private Boolean learnBeta;
        private SurrogateConfig surrogate;
        private Kernels kernels;

        private Builder(Kind kind) {
            this.kind = kind;
        }

        /** Sizes of the hidden layers, input side first. */
        public Builder hidden(Integer... sizes) {
            this.hidden = List.of(sizes);
            return this;
        }

        public Builder recurrent(boolean recurrent) {
            this.recurrent = recurrent;
            return this;
        }

        public Builder singleSpike(boolean singleSpike) {
            this.singleSpike = singleSpike;
            return this;
        }

        public Builder d(int d) {
            this.d = d;
            return this;
        }

        public Builder detachRecurrent(boolean detach) {
            this.detachRecurrent = detach;
            return this;
        }

        public Builder recurrentInput(RecurrentInput input) {
            this.recurrentInput = input;
            return this;
        }

        public Builder readout(Readout readout) {
            this.readout = readout;
            return this;
        }

        /** Time constants in time steps: beta = exp(-1 / tau). */
        public Builder tau(double hiddenTau, double readoutTau) {
            this.hiddenTau = hiddenTau;
            this.readoutTau = readoutTau;
            return this;
        }

        /** One beta per neuron ({@code true}) or per layer, trained or fixed. */
        public Builder beta(boolean perNeuron, boolean learnable) {
            this.perNeuronBeta = perNeuron;
            this.learnBeta = learnable;
            return this;
        }

        public Builder surrogate(SurrogateConfig surrogate) {
            this.surrogate = surrogate;
            return this;
        }

        public Builder kernels(Kernels kernels) {
            this.kernels = kernels;
            return this;
        }

        public ModelConfig build() {
            return new ModelConfig(kind, hidden, recurrent, singleSpike, d, detachRecurrent, recurrentInput, readout,
                    hiddenTau, readoutTau, perNeuronBeta, learnBeta, surrogate, kernels);
        }
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
