package snn.api;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import snn.config.ConfigLoader;
import snn.config.DataConfig;
import snn.config.ExperimentConfig;
import snn.data.DatasetSplits;
import snn.data.Datasets;
import snn.data.SpikeDataset;
import snn.distributed.Distributed;
import snn.interop.Checkpoint;
import snn.interop.Checkpoints;
import snn.interop.ExportFormat;
import snn.interop.Exporter;
import snn.interop.Layout;
import snn.interop.nir.NirImporter;
import snn.models.Inference;
import snn.models.SpikingNetwork;
import snn.plots.TrainingFigures;
import snn.training.Evaluation;
import snn.training.Evaluator;
import snn.training.RunFolder;
import snn.training.StopSignal;
import snn.training.Trainer;
import snn.training.TrainingListener;
import snn.training.TrainingResult;

/**
 * What a program needs from snn, in one place: open data, train (or resume), load a trained network, evaluate,
 * predict, record a sample's spikes and membranes, save, export (PyTorch, safetensors, NIR) and import NIR. Experiments are described with the builders of
 * {@code snn.config} ({@link ExperimentConfig#builder()}), which validate as the JSON loader does.
 *
 * <pre>{@code
 * ExperimentConfig config = ExperimentConfig.builder()
 *         .model(ModelConfig.dblock(5).hidden(128).recurrent(true).build())
 *         .training(TrainingConfig.builder().epochs(10).build())
 *         .build();
 * TrainingResult result = Snn.train(config, Path.of("results/mine"));
 * Checkpoint trained = Snn.load(Path.of("results/mine/model.pt"));
 * }</pre>
 *
 * <p>Every method initialises LibTorch as needed (threads and device from the config where there is one).
 */
public final class Snn {

    private Snn() {
    }

    /**
     * The training, validation and test splits a data config describes, read from their published files (or
     * generated, for the synthetic task).
     *
     * @param data the data section of an experiment
     * @param seed the experiment's seed (only the synthetic task depends on it)
     * @return the splits; validation is absent unless {@code data.validation_fraction} &gt; 0
     * @throws snn.core.SnnException when a file is missing (the message says how to get it) or corrupt
     */
    public static DatasetSplits open(DataConfig data, long seed) {
        return Datasets.open(data, seed);
    }

    /**
     * A training of {@code config} to set up before it runs: its data, where progress goes, listeners.
     *
     * @param config the experiment, validated
     * @return the setup, with the data of {@code config}, progress on {@code System.out} and the curves figure drawn
     *         at the end
     */
    public static Training training(ExperimentConfig config) {
        return new Training(config, null, System.out, true, List.of(), new StopSignal());
    }

    /**
     * Trains {@code config} on its own data, printing progress and drawing the curves into the run folder.
     *
     * @param config the experiment, validated
     * @param runDir the run folder (its result files are replaced)
     * @return the selected epoch, its test evaluation and every epoch's metrics
     * @throws snn.core.SnnException when the data cannot be read, the loss becomes non-finite, or a file cannot be
     *                               written
     */
    public static TrainingResult train(ExperimentConfig config, Path runDir) {
        return training(config).fit(runDir);
    }

    /**
     * Continues a stopped run from its last completed epoch, with its saved config; it ends exactly where an
     * uninterrupted run would.
     *
     * @param runDir the run's folder
     * @return as {@link #train}, with the history of all epochs
     * @throws snn.core.SnnException when {@code runDir} is not a run folder or holds no complete epoch
     */
    public static TrainingResult resume(Path runDir) {
        RunFolder run = RunFolder.open(runDir);
        return training(ConfigLoader.load(run.file(RunFolder.CONFIG), List.of())).resume(runDir);
    }

    /**
     * Loads a checkpoint snn wrote ({@code model.pt}, an export in snn's layout).
     *
     * @param checkpoint the file
     * @return the network, with the config it was trained with
     * @throws snn.core.SnnException when the file is unreadable, corrupt or not an snn checkpoint
     */
    public static Checkpoint load(Path checkpoint) {
        return Checkpoints.load(checkpoint);
    }

    /**
     * Saves a network with its config as an snn checkpoint, which {@link #load} reads and PyTorch loads with
     * {@code torch.load(path, weights_only=True)}.
     *
     * @param net    the network
     * @param config the config it was built from
     * @param file   the file to write (replaced atomically)
     * @throws snn.core.SnnException when the file cannot be written
     */
    public static void save(SpikingNetwork net, ExperimentConfig config, Path file) {
        Checkpoints.save(net, config, file);
    }

    /**
     * Exports a network for PyTorch.
     *
     * @param net    the network
     * @param config the config it was built from
     * @param format the torch.save zip or safetensors
     * @param layout snn's parameter names, or those of the authors' reference models
     * @param file   the file to write (replaced atomically)
     * @throws snn.core.SnnException when the file cannot be written
     */
    public static void export(SpikingNetwork net, ExperimentConfig config, ExportFormat format, Layout layout,
            Path file) {
        Exporter.export(net, config, format, layout, file);
    }

    /**
     * Builds a standard LIF network from a NIR graph (feed-forward or recurrent LIF/LI chains with Affine or Linear
     * projections; docs/interop.md, "NIR"), for evaluation or further training. Export goes through {@link #export}
     * with {@link ExportFormat#NIR}.
     *
     * @param nir     the NIR file
     * @param options the data and runtime settings when the file carries none of snn's, and the time step
     * @return the network with its config, the time step used, and notes on what was mapped how
     * @throws snn.core.SnnException naming the node, edge or field when the graph is not one snn can run
     */
    public static NirImporter.Result importNir(Path nir, NirImporter.Options options) {
        return NirImporter.read(nir, options);
    }

    /**
     * Evaluates a network: accuracy, loss, spikes per sample per layer, confusion matrix.
     *
     * @param net  the network
     * @param data the samples
     * @return the evaluation, in batches of 256 without gradients
     */
    public static Evaluation evaluate(SpikingNetwork net, SpikeDataset data) {
        return Evaluator.evaluate(net, data, 256);
    }

    /**
     * Predicts the classes of some samples.
     *
     * @param net     the network
     * @param data    the samples
     * @param indices which samples
     * @return the predicted class of each, in the order of {@code indices}
     */
    public static int[] predict(SpikingNetwork net, SpikeDataset data, int... indices) {
        return Inference.predict(net, data, indices);
    }

    /**
     * Runs one sample and keeps every layer's spikes and membrane.
     *
     * @param net   the network
     * @param data  the samples
     * @param index which sample
     * @return the input, each layer's activity {@code [neurons][time]} and the logits
     */
    public static Inference.Recording record(SpikingNetwork net, SpikeDataset data, int index) {
        return Inference.record(net, data, index);
    }

    /**
     * A training about to run. Immutable: each setter returns a new setup.
     *
     * @param config    the experiment
     * @param data      the splits to train on, or {@code null} for the config's own data
     * @param log       where progress lines go
     * @param figures   whether the curves figure is drawn into the run folder at the end
     * @param listeners more listeners, in the order they hear the run
     * @param stop      a request to stop, checked after every batch (the command line sets it on Ctrl-C)
     */
    public record Training(ExperimentConfig config, DatasetSplits data, PrintStream log, boolean figures,
            List<TrainingListener> listeners, StopSignal stop) {

        /** Copies the listeners. */
        public Training {
            listeners = List.copyOf(listeners);
        }

        /**
         * Trains on these splits instead of the config's data (e.g. a {@link SpikeDataset} of your own).
         *
         * @param splits training, optional validation, and test samples
         * @return the new setup
         */
        public Training data(DatasetSplits splits) {
            return new Training(config, splits, log, figures, listeners, stop);
        }

        /**
         * Sends progress lines elsewhere.
         *
         * @param stream e.g. a log file's stream
         * @return the new setup
         */
        public Training log(PrintStream stream) {
            return new Training(config, data, stream, figures, listeners, stop);
        }

        /**
         * Draws the curves figure into the run folder at the end, or not.
         *
         * @param draw whether to draw it
         * @return the new setup
         */
        public Training figures(boolean draw) {
            return new Training(config, data, log, draw, listeners, stop);
        }

        /**
         * Adds a listener.
         *
         * @param listener hears every epoch's end and the run's end
         * @return the new setup
         */
        public Training listener(TrainingListener listener) {
            List<TrainingListener> all = new ArrayList<>(listeners);
            all.add(listener);
            return new Training(config, data, log, figures, all, stop);
        }

        /**
         * Stops the run when {@code signal} is set: the epoch under way is abandoned and a
         * {@link snn.core.TrainingStoppedException} says how to resume.
         *
         * @param signal e.g. one that a signal handler sets
         * @return the new setup
         */
        public Training stopOn(StopSignal signal) {
            return new Training(config, data, log, figures, listeners, signal);
        }

        /**
         * Runs the whole training.
         *
         * @param runDir the run folder (its result files are replaced)
         * @return the selected epoch, its test evaluation and every epoch's metrics
         * @throws snn.core.SnnException as {@link Snn#train}
         */
        public TrainingResult fit(Path runDir) {
            try (RunFolder.Lock lock = writerLock(runDir)) {
                return trainer().fit(runDir);
            }
        }

        /**
         * Continues the run in {@code runDir} from its last completed epoch.
         *
         * @param runDir a run folder of this config
         * @return as {@link #fit}
         * @throws snn.core.SnnException as {@link Snn#resume}
         */
        public TrainingResult resume(Path runDir) {
            try (RunFolder.Lock lock = writerLock(runDir)) {
                return trainer().resume(runDir);
            }
        }

        /**
         * The run folder's lock while this process writes it: rank 0's in a data-parallel run, none on the other ranks
         * (they write nothing). A stale lock taken over is said on the log.
         */
        private RunFolder.Lock writerLock(Path runDir) {
            if (!Distributed.group().leads()) {
                return null;
            }
            RunFolder run = new RunFolder(runDir);
            RunFolder.Lock lock = run.lock();
            lock.takeOverNote(runDir).ifPresent(log::println);
            return lock;
        }

        /**
         * Continues the run in {@code runDir} from the state it kept for {@code epoch}
         * ({@code training.checkpoint_every}); the later epochs are trained again.
         *
         * @param runDir a run folder of this config
         * @param epoch  an epoch whose state is kept in the run's {@code checkpoints/}
         * @return as {@link #fit}
         * @throws snn.core.SnnException as {@link Snn#resume}, or when no state of that epoch is kept
         */
        public TrainingResult resume(Path runDir, int epoch) {
            try (RunFolder.Lock lock = writerLock(runDir)) {
                return trainer().resume(runDir, epoch);
            }
        }

        private Trainer trainer() {
            Trainer t = new Trainer(config, data != null ? data : open(config.data(), config.seed()), log)
                    .withGroup(Distributed.group()).withStopSignal(stop);
            if (figures) {
                t = t.withListener(TrainingFigures.curvesWhenFinished(log));
            }
            for (TrainingListener l : listeners) {
                t = t.withListener(l);
            }
            return t;
        }
    }
}
