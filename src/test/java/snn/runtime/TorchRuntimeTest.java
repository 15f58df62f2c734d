package snn.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

import snn.core.DeviceUnavailableException;

class TorchRuntimeTest {

    @Test
    void threadSettingsAreApplied() {
        TorchRuntime.Report r = TorchRuntime.init(new ThreadSettings(1, 1), Device.CPU);
        assertEquals(1, torch.get_num_threads());
        assertTrue(r.blasThreadsSet(), "openblas_set_num_threads should be found in the loaded OpenBLAS");
        TorchRuntime.init(ThreadSettings.defaults(), Device.CPU);
        assertEquals(ThreadSettings.defaults().torchThreads(), torch.get_num_threads());
    }

    @Test
    void cudaIsReportedClearlyWhenUnavailable() {
        org.junit.jupiter.api.Assumptions.assumeFalse(TorchRuntime.cudaAvailable(), "a CUDA build with a GPU");
        DeviceUnavailableException e = assertThrows(DeviceUnavailableException.class,
                () -> TorchRuntime.init(ThreadSettings.defaults(), Device.CUDA));
        assertTrue(e.getMessage().contains("cuda") && e.getMessage().contains("cpu"), e.getMessage());
        // This build (the default profile) has the CPU libraries: the message says how to get the CUDA ones.
        assertTrue(!TorchRuntime.cudaBuild() && e.getMessage().contains("bin/mvn -Pcuda package"), e.getMessage());
    }

    @Test
    void deviceNamesParse() {
        assertEquals(Device.CPU, Device.parse("CPU"));
        assertEquals(Device.CUDA, Device.parse("cuda"));
        assertEquals(Device.META, Device.parse("meta"));
        assertThrows(IllegalArgumentException.class, () -> Device.parse("tpu"));
    }
}
