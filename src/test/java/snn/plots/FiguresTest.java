package snn.plots;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import snn.config.ConfigLoader;
import snn.config.ExperimentConfig;
import snn.data.DatasetSplits;
import snn.data.SyntheticSpikes;
import snn.models.Inference;
import snn.training.RunEvaluation;
import snn.training.Trainer;

class FiguresTest {

    static void assertImage(Path png) throws Exception {
        BufferedImage img = ImageIO.read(png.toFile());
        assertTrue(img.getWidth() > 400 && img.getHeight() > 300, png + " is an image");
        String svg = Files.readString(Path.of(png.toString().replace(".png", ".svg")));
        assertTrue(svg.startsWith("<?xml") || svg.startsWith("<svg"), "SVG beside " + png);
    }

    @Test
    void runsGetCurvesComparisonsAndRasters(@TempDir Path dir) throws Exception {
        ExperimentConfig c = ConfigLoader.parse("""
                {"name": "fig", "data": {"synthetic": {"classes": 3, "channels": 20, "t_len": 30,
                 "train_samples": 64, "test_samples": 32, "noise_rate": 0.05}},
                 "model": {"kind": "dblock", "d": 3, "hidden": [16], "recurrent": true},
                 "training": {"epochs": 2, "batch_size": 32}}""", List.of(), "test");
        DatasetSplits data = SyntheticSpikes.splits(c.data().synthetic(), c.seed());
        PrintStream quiet = new PrintStream(new ByteArrayOutputStream());
        Trainer trainer = new Trainer(c, data, quiet).withListener(TrainingFigures.curvesWhenFinished(quiet));
        trainer.fit(dir.resolve("a"));
        new Trainer(c, data, quiet).fit(dir.resolve("b"));
        assertImage(dir.resolve("a/figures/curves.png"));
        assertFalse(Files.exists(dir.resolve("b/figures")), "a trainer without the listener draws nothing");

        List<Path> files = TrainingFigures.comparison(List.of(dir.resolve("a"), dir.resolve("b")), dir.resolve("cmp"));
        assertEquals(4, files.size());
        assertImage(dir.resolve("cmp/accuracy_vs_time.png"));
        assertImage(dir.resolve("cmp/accuracy_vs_spikes.png"));

        Inference.Recording r = Inference.record(RunEvaluation.selectedModel(dir.resolve("a"), c, data.test()),
                data.test(), 0);
        RasterFigure.write(r, "raster", dir, "raster");
        assertImage(dir.resolve("raster.png"));
    }
}
