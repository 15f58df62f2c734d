package snn.distributed;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

import org.junit.jupiter.api.Test;

/** The launcher forwards a worker's own lines and drops c10d's and Gloo's logging (lines as captured from them). */
class WorkerOutputTest {

    static List<String> kept(List<String> lines) {
        WorkerOutput filter = new WorkerOutput();
        return lines.stream().filter(l -> !filter.isNoise(l)).toList();
    }

    @Test
    void glooAndC10dLinesAndTheirTracesAreDropped() {
        List<String> lines = List.of(
                "run folder: results/quickstart-2",
                "[Gloo] Rank 0 is connected to 1 peer ranks. Expected number of connected peer ranks is : 1",
                "epoch 1/3  batch 6/63  loss 2.3012  acc  10.2%  ETA 0m41s",
                "[W1130 17:08:33.909854714 TCPStore.cpp:125] [c10d] recvValue failed on SocketImpl(fd=25): Failed to"
                        + " recv, got 0 bytes. Connection was likely closed. Did the remote server shutdown or crash?",
                "Exception raised from recvBytes at /pytorch/torch/csrc/distributed/c10d/Utils.hpp:682 (most recent"
                        + " call first):",
                "frame #0: c10::Error::Error(c10::SourceLocation, std::string) + 0xac (0x7f39a53848cc in libc10.so)",
                "frame #1: <unknown function> + 0x6c9237f (0x7f394629237f in libtorch_cpu.so)",
                "",
                "[E1130 17:07:57.903767124 socket.cpp:1028] [c10d] The client socket has timed out after 10000ms",
                "snn: rank 0 stops: rank 1 stopped responding",
                "",
                "frame #3 is not a trace line when it follows a line of snn's own");
        assertEquals(List.of("run folder: results/quickstart-2", "epoch 1/3  batch 6/63  loss 2.3012  acc  10.2%  ETA"
                + " 0m41s", "snn: rank 0 stops: rank 1 stopped responding", "",
                "frame #3 is not a trace line when it follows a line of snn's own"), kept(lines));
    }
}
