package snn.interop;

/** The parameter names (and entries) an exported file uses. */
public enum Layout {
    /** snn's own names: {@code hidden.0.input.weight}, {@code hidden.0.beta}, {@code readout.input.bias}, ... */
    SNN,
    /**
     * The {@code state_dict} of the authors' PyTorch models ({@code _layers.0._to_current.weight}, ...), including
     * the derived kernels and unused projections a strict {@code load_state_dict} needs; see {@link ReferenceLayout}.
     */
    REFERENCE
}
