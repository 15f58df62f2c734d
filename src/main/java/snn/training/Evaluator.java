package snn.training;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.global.torch;

import snn.data.Batch;
import snn.data.BatchLoader;
import snn.data.SpikeDataset;
import snn.distributed.ProcessGroup;
import snn.models.NetworkOutput;
import snn.models.SpikingNetwork;
import snn.runtime.Tensors;

/** Evaluates a network on a dataset without gradients: loss, accuracy, spikes per sample, confusion matrix. */
public final class Evaluator {

    private Evaluator() {
    }

    /**
     * Evaluates a network on every sample of a dataset. The network is in evaluation mode during the call and back
     * in training mode after it.
     *
     * @param net       the network, with as many inputs and classes as {@code data} has channels and classes
     * @param data      the samples
     * @param batchSize samples per forward pass
     * @return loss, accuracy, spikes per sample of each hidden layer and the confusion matrix; loss and accuracy
     *         are NaN for an empty dataset
     */
    public static Evaluation evaluate(SpikingNetwork net, SpikeDataset data, int batchSize) {
        return evaluate(net, data, batchSize, ProcessGroup.single());
    }

    /**
     * Evaluates a network on every sample of a dataset, shared between the ranks of a data-parallel run: each rank
     * evaluates its share of every batch, and the sums (loss, correct predictions, spikes, confusion counts) are
     * added over the ranks, so that every rank gets the evaluation a single process would.
     *
     * @param net       the network, the same on every rank
     * @param data      the samples, the same on every rank
     * @param batchSize samples per forward pass, before the share is taken
     * @param group     the ranks ({@link ProcessGroup#single()} for a process alone)
     * @return as {@link #evaluate(SpikingNetwork, SpikeDataset, int)}, the same on every rank
     * @throws snn.core.DistributedException naming the rank at fault when a peer died or hung
     */
    public static Evaluation evaluate(SpikingNetwork net, SpikeDataset data, int batchSize, ProcessGroup group) {
        int classes = data.classes();
        long[][] confusion = new long[classes][classes];
        double lossSum = 0;
        long correct = 0;
        long seen = 0;
        double[] spikes = new double[net.hiddenLayers().size()];
        net.eval();
        try (BatchLoader loader = new BatchLoader(data, batchSize, false, false, 0,
                new BatchLoader.Share(group.rank(), group.size()));
                NoGradGuard noGrad = new NoGradGuard()) {
            Iterator<Batch> batches = loader.epoch(0);
            while (batches.hasNext()) {
                try (PointerScope scope = new PointerScope()) {
                    Batch batch = batches.next();
                    if (batch.size() == 0) {
                        continue; // a share of a short last batch, with fewer samples than ranks
                    }
                    NetworkOutput out = net.forward(batch);
                    lossSum += torch.cross_entropy_loss(out.logits(), Tensors.onRunDevice(batch.labels()))
                            .item_float() * batch.size();
                    float[] predicted = Tensors.toArray(out.logits().argmax(new org.bytedeco.pytorch.LongOptional(1),
                            false).to(torch.ScalarType.Float));
                    for (int i = 0; i < batch.size(); i++) {
                        int label = data.label(batch.indices()[i]);
                        int p = (int) predicted[i];
                        confusion[label][p]++;
                        if (p == label) {
                            correct++;
                        }
                    }
                    for (int l = 0; l < spikes.length; l++) {
                        spikes[l] += out.hiddenSpikes().get(l).sum().item_float();
                    }
                    seen += batch.size();
                }
            }
        } finally {
            net.train(true);
        }
        if (group.size() > 1) {
            double[] sums = new double[3 + spikes.length + classes * classes];
            sums[0] = lossSum;
            sums[1] = correct;
            sums[2] = seen;
            System.arraycopy(spikes, 0, sums, 3, spikes.length);
            for (int i = 0; i < classes; i++) {
                for (int j = 0; j < classes; j++) {
                    sums[3 + spikes.length + i * classes + j] = confusion[i][j];
                }
            }
            double[] all = group.sum(sums, "the evaluation's sums");
            lossSum = all[0];
            correct = Math.round(all[1]);
            seen = Math.round(all[2]);
            System.arraycopy(all, 3, spikes, 0, spikes.length);
            for (int i = 0; i < classes; i++) {
                for (int j = 0; j < classes; j++) {
                    confusion[i][j] = Math.round(all[3 + spikes.length + i * classes + j]);
                }
            }
        }
        List<Double> perLayer = new ArrayList<>();
        for (double s : spikes) {
            perLayer.add(seen == 0 ? 0 : s / seen);
        }
        return new Evaluation(seen == 0 ? Double.NaN : lossSum / seen, seen == 0 ? Double.NaN : (double) correct / seen,
                List.copyOf(perLayer), confusion);
    }
}
