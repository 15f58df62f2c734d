package snn.training;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import snn.config.ConfigLoader;
import snn.config.ExperimentConfig;
import snn.core.DistributedException;
import snn.data.DatasetSplits;
import snn.data.SpikeDataset;
import snn.distributed.ProcessGroup;
import snn.runtime.BuildInfo;

/**
 * The check, before a data-parallel training starts, that every rank was started with the same run: ranks with
 * different configs would train different things or wait on each other forever. Each rank describes its run, the
 * descriptions are gathered through the group's store ({@link ProcessGroup#allGatherText}), and every rank compares
 * them with rank 0's, so that all stop together with the same message.
 */
public final class RunAgreement {

    private static final ObjectMapper JSON = ConfigLoader.mapper();

    private RunAgreement() {
    }

    /**
     * Checks that every rank trains the same run: the config (without the data folder, which may differ between
     * machines), the data's name, shape and split sizes, and the build of snn. Returns at once for a single process.
     *
     * @param group  the ranks
     * @param config this rank's config
     * @param data   this rank's data
     * @throws DistributedException on every rank when a rank's run differs from rank 0's (naming each such rank and
     *                              the values), or as {@link ProcessGroup#allGatherText}
     */
    public static void check(ProcessGroup group, ExperimentConfig config, DatasetSplits data) {
        if (group.size() > 1) {
            compare(group, "run", facts(config, data));
        }
    }

    /**
     * Checks that every rank describes {@code what} the same way.
     *
     * @param group the ranks
     * @param what  what is compared, a word for keys and messages (e.g. {@code run}); once per group
     * @param facts this rank's description
     * @throws DistributedException on every rank when any rank's description differs from rank 0's, listing each
     *                              such rank and the differing values (as rank 0's value {@code ->} the rank's)
     */
    public static void compare(ProcessGroup group, String what, JsonNode facts) {
        List<String> texts;
        try {
            texts = group.allGatherText(what, JSON.writeValueAsString(facts));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("facts that are not JSON: " + e.getMessage(), e);
        }
        List<String> problems = new ArrayList<>();
        try {
            JsonNode reference = JSON.readTree(texts.get(0));
            for (int r = 1; r < texts.size(); r++) {
                Map<String, String> differences = ConfigLoader.differences(reference, JSON.readTree(texts.get(r)));
                if (!differences.isEmpty()) {
                    List<String> each = new ArrayList<>();
                    differences.forEach((path, change) -> each.add(path + " " + change));
                    problems.add("rank " + r + " differs from rank 0 in " + String.join(", ", each));
                }
            }
        } catch (JsonProcessingException e) {
            throw new DistributedException("rank " + group.rank() + " cannot read another rank's " + what + ": "
                    + e.getMessage(), e);
        }
        if (!problems.isEmpty()) {
            throw new DistributedException("the ranks were started with different " + what + "s (values shown as rank"
                    + " 0 -> rank r): " + String.join("; ", problems) + ". Start every rank with the same config, --set"
                    + " overrides, data and build of snn");
        }
    }

    /** What every rank of a data-parallel run must agree on before training. */
    static JsonNode facts(ExperimentConfig config, DatasetSplits data) {
        ObjectNode facts = JSON.createObjectNode();
        ObjectNode c = JSON.valueToTree(config);
        if (c.get("data") instanceof ObjectNode dataConfig) {
            dataConfig.remove("root");
        }
        facts.set("config", c);
        ObjectNode d = facts.putObject("data");
        d.put("name", data.train().name());
        d.put("train_samples", data.train().size());
        d.put("validation_samples", data.validationSplit().map(SpikeDataset::size).orElse(0));
        d.put("test_samples", data.test().size());
        d.put("channels", data.train().channels());
        d.put("time_steps", data.train().timeSteps());
        d.put("classes", data.train().classes());
        BuildInfo build = BuildInfo.current();
        facts.put("snn", build.version() + " (" + build.commit() + ")");
        return facts;
    }
}
