package snn.distributed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;

import snn.core.DistributedException;

/** The torchrun contract read from environment variables: all or none, numbers in range, written back unchanged. */
class DistributedEnvTest {

    static Map<String, String> torchrun(String rank, String world) {
        Map<String, String> env = new HashMap<>(Map.of("RANK", rank, "WORLD_SIZE", world, "MASTER_ADDR", "10.0.0.7",
                "MASTER_PORT", "29500"));
        env.put("PATH", "/usr/bin"); // unrelated variables are ignored
        return env;
    }

    @Test
    void noVariablesIsASingleProcess() {
        assertSame(DistributedEnv.SINGLE, DistributedEnv.from(Map.of("PATH", "/usr/bin", "LOCAL_RANK", "")));
        assertFalse(DistributedEnv.SINGLE.distributed());
    }

    @Test
    void torchrunsVariablesGiveTheRank() {
        Map<String, String> env = torchrun("3", "4");
        env.putAll(Map.of("LOCAL_RANK", "1", "LOCAL_WORLD_SIZE", "2", "TORCHELASTIC_USE_AGENT_STORE", "True",
                "TORCHELASTIC_RESTART_COUNT", "2"));
        DistributedEnv e = DistributedEnv.from(env);
        assertEquals(new DistributedEnv(3, 4, 1, 2, "10.0.0.7", 29500, true, 2), e);
        assertTrue(e.distributed());
        // What a launcher sets is read back as the same place.
        assertEquals(e, DistributedEnv.from(e.variables()));
    }

    @Test
    void localVariablesDefaultToAllProcessesOnOneMachine() {
        // Without LOCAL_WORLD_SIZE the cores are split between all ranks: never more threads than cores.
        DistributedEnv e = DistributedEnv.from(torchrun("1", "2"));
        assertEquals(1, e.localRank());
        assertEquals(2, e.localWorldSize());
        assertFalse(e.agentStore());
        assertEquals(0, e.restartCount());
    }

    @Test
    void someVariablesWithoutTheOthersAreNamed() {
        DistributedException e = assertThrows(DistributedException.class,
                () -> DistributedEnv.from(Map.of("RANK", "0", "MASTER_PORT", "29500")));
        assertTrue(e.getMessage().startsWith("RANK, MASTER_PORT are set but WORLD_SIZE, MASTER_ADDR are not"),
                e.getMessage());
        assertTrue(e.getMessage().contains("docs/distributed.md"), e.getMessage());
    }

    @Test
    void badValuesAreNamedWithTheirRange() {
        assertMessage("RANK=2: expected from 0 to WORLD_SIZE - 1 = 1", torchrun("2", "2"));
        assertMessage("RANK=one is not a whole number", torchrun("one", "2"));
        assertMessage("WORLD_SIZE=0: expected at least 1", torchrun("0", "0"));
        Map<String, String> port = torchrun("0", "2");
        port.put("MASTER_PORT", "70000");
        assertMessage("MASTER_PORT=70000: expected a TCP port from 1 to 65535", port);
        Map<String, String> local = torchrun("0", "2");
        local.put("LOCAL_WORLD_SIZE", "3");
        assertMessage("LOCAL_WORLD_SIZE=3: expected from 1 to WORLD_SIZE = 2", local);
    }

    static void assertMessage(String expected, Map<String, String> env) {
        assertEquals(expected, assertThrows(DistributedException.class, () -> DistributedEnv.from(env)).getMessage());
    }
}
