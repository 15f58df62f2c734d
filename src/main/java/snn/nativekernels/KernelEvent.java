package snn.nativekernels;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * A JDK Flight Recorder event for one part of a native-kernel layer call: its forward kernel (input projection
 * included), its backward kernel, or an output's backward hook as a whole. Recorded only while a recording enables
 * {@value #NAME} (e.g. {@code KernelBenchmark}'s breakdown of a training step, or {@code java -XX:StartFlightRecording});
 * otherwise creating and committing it costs nothing measurable.
 */
@Name(KernelEvent.NAME)
@Label("Native kernel call")
@Category({"snn", "Native kernels"})
@Description("One part of a native-kernel layer call: forward kernel, backward kernel or output hook")
@StackTrace(false)
final class KernelEvent extends jdk.jfr.Event {

    /** The event's name in recordings. */
    static final String NAME = "snn.KernelCall";

    /** The kernel family: lif or dblock. */
    @Label("Family")
    String family;

    /** The layer's neurons. */
    @Label("Neurons")
    long neurons;

    /** Which part: "forward kernel", "backward kernel" or "backward hook". */
    @Label("Part")
    String part;

    KernelEvent(KernelAbi.Family family, long neurons, String part) {
        this.family = family.name().toLowerCase(java.util.Locale.ROOT);
        this.neurons = neurons;
        this.part = part;
    }
}
