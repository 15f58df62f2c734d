package snn.config;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonProperty;

import snn.neurons.DBlockLayer.RecurrentInput;
import snn.neurons.LifLayer.Reset;

/**
 * The network: hidden layers of one neuron kind, then a non-spiking leaky-integrator readout.
 *
 * @param kind            {@code standard} (sequential LIF), {@code block} (single spike) or {@code dblock}
 * @param hidden          neurons of each hidden layer, e.g. {@code [128]} or {@code [400, 400]}
 * @param recurrent       recurrent hidden layers ({@code standard}, {@code dblock})
 * @param singleSpike     {@code standard} only: at most one spike per neuron (else multi-spike with reset)
 * @param reset           {@code standard} multi-spike only: after a spike the threshold is subtracted
 *                        ({@code subtract}, the default) or the membrane is set to 0 ({@code zero}, NIR's LIF)
 * @param d               {@code dblock} only: the number of blocks
 * @param detachRecurrent {@code dblock} only: no gradient through the recurrent spikes (default true)
 * @param recurrentInput  {@code dblock} only: {@code max} (default) or {@code sum} of the previous block's spikes
 * @param readout         logits = readout membrane summed over time ({@code sum}) or its maximum ({@code max})
 * @param hiddenTau       hidden time constant in time steps: beta = exp(-1/tau) (default 10)
 * @param readoutTau      readout time constant in time steps (default 20)
 * @param perNeuronBeta   one beta per neuron (default) or one per layer
 * @param learnBeta       beta trained with the weights (default true)
 * @param surrogate       the spike function's pseudo-derivative (default fast sigmoid, scale 10)
 * @param kernels         {@code auto} (default: the fused native kernels where they are built and serve the
 *                        layer, else LibTorch ops), {@code native} or {@code torch}
 */
public record ModelConfig(
        Kind kind,
        List<Integer> hidden,
        Boolean recurrent,
        Boolean singleSpike,
        Reset reset,
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

    /** Every setting at its default and no {@code kind}: what an experiment config without a model section holds. */
    static final ModelConfig UNSPECIFIED = new Builder(null).build();

    /** Fills in the defaults of settings left null; {@code kind} and {@code d} have none. */
    public ModelConfig {
        hidden = hidden == null ? List.of(128) : List.copyOf(hidden);
        recurrent = recurrent != null ? recurrent : false;
        singleSpike = singleSpike != null ? singleSpike : false;
        reset = reset != null ? reset : Reset.SUBTRACT;
        detachRecurrent = detachRecurrent != null ? detachRecurrent : true;
        recurrentInput = recurrentInput != null ? recurrentInput : RecurrentInput.MAX;
        readout = readout != null ? readout : Readout.SUM;
        hiddenTau = hiddenTau != null ? hiddenTau : 10.0;
        readoutTau = readoutTau != null ? readoutTau : 20.0;
        perNeuronBeta = perNeuronBeta != null ? perNeuronBeta : true;
        learnBeta = learnBeta != null ? learnBeta : true;
        surrogate = surrogate != null ? surrogate : SurrogateConfig.DEFAULT;
        kernels = kernels != null ? kernels : Kernels.AUTO;
    }

    /**
     * A builder for the standard LIF network (multi-spike unless {@link Builder#singleSpike}).
     *
     * @return a builder with every other setting at its default
     */
    public static Builder standard() {
        return new Builder(Kind.STANDARD);
    }

    /**
     * A builder for the single-spike block network.
     *
     * @return a builder with every other setting at its default
     */
    public static Builder block() {
        return new Builder(Kind.BLOCK);
    }

    /**
     * A builder for the d-block network.
     *
     * @param d the number of blocks, 1 to the number of time steps
     * @return a builder with every other setting at its default
     */
    public static Builder dblock(int d) {
        return new Builder(Kind.DBLOCK).d(d);
    }

    /** Builds a {@link ModelConfig}; every setting not given keeps the default documented on the record. */
    public static final class Builder {
        private final Kind kind;
        private List<Integer> hidden;
        private Boolean recurrent;
        private Boolean singleSpike;
        private Reset reset;
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

        /**
         * Sets the sizes of the hidden layers, input side first (default one layer of 128).
         *
         * @param sizes neurons of each hidden layer, at least one layer
         * @return this builder
         */
        public Builder hidden(Integer... sizes) {
            this.hidden = List.of(sizes);
            return this;
        }

        /**
         * Makes the hidden layers recurrent or not (default false; not for the block network).
         *
         * @param recurrent true for recurrent hidden layers
         * @return this builder
         */
        public Builder recurrent(boolean recurrent) {
            this.recurrent = recurrent;
            return this;
        }

        /**
         * Standard network only: at most one spike per neuron, or multi-spike with reset (default).
         *
         * @param singleSpike true for single-spike neurons
         * @return this builder
         */
        public Builder singleSpike(boolean singleSpike) {
            this.singleSpike = singleSpike;
            return this;
        }

        /**
         * Standard multi-spike network only: what the membrane becomes in a spike's step (default
         * {@link Reset#SUBTRACT}).
         *
         * @param reset {@link Reset#SUBTRACT} (the threshold is subtracted) or {@link Reset#ZERO} (set to 0)
         * @return this builder
         */
        public Builder reset(Reset reset) {
            this.reset = reset;
            return this;
        }

        /**
         * D-block network only: sets the number of blocks.
         *
         * @param d 1 to the number of time steps
         * @return this builder
         */
        public Builder d(int d) {
            this.d = d;
            return this;
        }

        /**
         * D-block network only: whether gradients skip the recurrent spikes (default true).
         *
         * @param detach true for no gradient through the recurrent spikes
         * @return this builder
         */
        public Builder detachRecurrent(boolean detach) {
            this.detachRecurrent = detach;
            return this;
        }

        /**
         * D-block network only: how a block's spikes are reduced for the next block (default {@code MAX}).
         *
         * @param input {@link RecurrentInput#MAX} or {@link RecurrentInput#SUM}
         * @return this builder
         */
        public Builder recurrentInput(RecurrentInput input) {
            this.recurrentInput = input;
            return this;
        }

        /**
         * Sets how logits are read from the readout membrane (default {@code SUM}).
         *
         * @param readout {@link Readout#SUM} or {@link Readout#MAX} over time
         * @return this builder
         */
        public Builder readout(Readout readout) {
            this.readout = readout;
            return this;
        }

        /**
         * Sets the initial time constants: beta = exp(-1 / tau) (defaults 10 and 20).
         *
         * @param hiddenTau  hidden layers' time constant in time steps, positive
         * @param readoutTau readout's time constant in time steps, positive
         * @return this builder
         */
        public Builder tau(double hiddenTau, double readoutTau) {
            this.hiddenTau = hiddenTau;
            this.readoutTau = readoutTau;
            return this;
        }

        /**
         * Sets the shape of beta and whether it is trained (defaults true and true).
         *
         * @param perNeuron one beta per neuron ({@code true}) or one per layer
         * @param learnable beta trained with the weights ({@code true}) or fixed
         * @return this builder
         */
        public Builder beta(boolean perNeuron, boolean learnable) {
            this.perNeuronBeta = perNeuron;
            this.learnBeta = learnable;
            return this;
        }

        /**
         * Sets the spike function's pseudo-derivative (default {@link SurrogateConfig#DEFAULT}).
         *
         * @param surrogate the surrogate's family and scale
         * @return this builder
         */
        public Builder surrogate(SurrogateConfig surrogate) {
            this.surrogate = surrogate;
            return this;
        }

        /**
         * Sets the implementation of the neuron dynamics (default {@code AUTO}).
         *
         * @param kernels {@link Kernels#AUTO}, {@link Kernels#NATIVE} or {@link Kernels#TORCH}
         * @return this builder
         */
        public Builder kernels(Kernels kernels) {
            this.kernels = kernels;
            return this;
        }

        /**
         * The config. It is not validated here: {@link ExperimentConfig.Builder#build()} checks it with the data.
         *
         * @return the model config, every unset setting at its default
         */
        public ModelConfig build() {
            return new ModelConfig(kind, hidden, recurrent, singleSpike, reset, d, detachRecurrent, recurrentInput, readout,
                    hiddenTau, readoutTau, perNeuronBeta, learnBeta, surrogate, kernels);
        }
    }

    /** The hidden neuron model. */
    public enum Kind {
        /** Sequential leaky integrate-and-fire neurons, multi-spike with reset or single-spike. */
        @JsonProperty("standard") STANDARD,
        /** Single spike: the membrane without reset for all steps at once, then each neuron's first crossing. */
        @JsonProperty("block") BLOCK,
        /** Time cut into {@code d} blocks, each a block layer started from rest; optionally recurrent across blocks. */
        @JsonProperty("dblock") DBLOCK
    }

    /** How logits are read from the readout membrane. */
    public enum Readout {
        /** Logits are the readout membrane summed over time. */
        @JsonProperty("sum") SUM,
        /** Logits are the readout membrane's maximum over time. */
        @JsonProperty("max") MAX
    }

    /** Which implementation computes the neuron dynamics. */
    public enum Kernels {
        /**
         * The fastest correct path: the fused C kernels where the native library is loaded and serves the layer
         * (float32 tensors on the CPU), LibTorch ops otherwise.
         */
        @JsonProperty("auto") AUTO,
        /** The fused C kernels, as {@link #AUTO} does; asked for explicitly, so a fallback is reported as such. */
        @JsonProperty("native") NATIVE,
        /** LibTorch tensor operations, on any device. */
        @JsonProperty("torch") TORCH
    }
}
