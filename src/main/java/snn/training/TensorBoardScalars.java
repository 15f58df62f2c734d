package snn.training;

import java.io.IOException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import snn.config.ConfigLoader;
import snn.core.TrainingException;
import snn.interop.TensorBoardEvents;

/**
 * Every epoch's metrics as TensorBoard scalars in the run folder ({@code training.tensorboard}, rank 0): losses,
 * accuracies, the learning rate, spikes per sample per layer and times per batch, at step = epoch. The file is
 * rewritten whole (atomically) after each epoch from the history, with each epoch's wall time kept in the saved
 * state, so a resumed run's file holds exactly the epochs of its {@code metrics.csv}.
 */
final class TensorBoardScalars implements Callback {

    private String fileName;
    private double startTime;
    private final List<Double> wallTimes = new ArrayList<>();

    @Override
    public void onFitStart(FitContext fit) {
        double now = System.currentTimeMillis() / 1000.0;
        if (fileName == null) {
            startTime = now;
            fileName = RunFolder.TENSORBOARD_EVENTS + (long) now + "." + host();
        }
        while (wallTimes.size() < fit.history().size()) { // a run saved before it wrote scalars
            wallTimes.add(now);
        }
        while (wallTimes.size() > fit.history().size()) { // resumed from an earlier checkpoint
            wallTimes.remove(wallTimes.size() - 1);
        }
    }

    @Override
    public void onEpochEnd(FitContext fit, EpochMetrics m) {
        wallTimes.add(System.currentTimeMillis() / 1000.0);
        if (!fit.leads()) {
            return;
        }
        List<TensorBoardEvents.Scalars> steps = new ArrayList<>();
        for (int i = 0; i < fit.history().size(); i++) {
            EpochMetrics e = fit.history().get(i);
            steps.add(new TensorBoardEvents.Scalars(wallTimes.get(i), e.epoch(), scalars(e)));
        }
        try {
            TensorBoardEvents.write(fit.run().file(fileName), startTime, steps);
        } catch (IOException e) {
            throw new TrainingException("cannot write " + fit.run().file(fileName) + ": " + e.getMessage(), e);
        }
    }

    /** The scalars of one epoch, by tag. */
    static Map<String, Double> scalars(EpochMetrics m) {
        Map<String, Double> s = new LinkedHashMap<>();
        s.put("train/loss", m.trainLoss());
        s.put("train/accuracy", m.trainAccuracy());
        if (!Double.isNaN(m.validationAccuracy())) {
            s.put("validation/accuracy", m.validationAccuracy());
        }
        s.put("test/accuracy", m.testAccuracy());
        s.put("train/learning_rate", m.learningRate());
        for (int layer = 0; layer < m.spikesPerSample().size(); layer++) {
            s.put(String.format(Locale.ROOT, "spikes_per_sample/layer%d", layer), m.spikesPerSample().get(layer));
        }
        s.put("time/ms_per_batch", m.forwardMs() + m.backwardMs());
        s.put("time/forward_ms_per_batch", m.forwardMs());
        s.put("time/backward_ms_per_batch", m.backwardMs());
        s.put("time/epoch_seconds", m.epochSeconds());
        s.put("time/evaluation_seconds", m.evaluationSeconds());
        s.put("time/optimizer_ms_per_batch", m.optimizerMs());
        s.put("time/batch_wait_seconds", m.batchWaitSeconds());
        return s;
    }

    @Override
    public JsonNode state() {
        ObjectNode s = ConfigLoader.mapper().createObjectNode();
        s.put("file", fileName);
        s.put("start_time", startTime);
        ArrayNode times = s.putArray("wall_times");
        wallTimes.forEach(times::add);
        return s;
    }

    @Override
    public void restore(JsonNode state) {
        fileName = state.get("file").asText();
        startTime = state.get("start_time").asDouble();
        wallTimes.clear();
        state.get("wall_times").forEach(t -> wallTimes.add(t.asDouble()));
    }

    private static String host() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "localhost";
        }
    }
}
