package snn.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import snn.core.DistributedException;
import snn.distributed.DistributedEnv;
import snn.distributed.LocalWorkers;
import snn.launcher.Launcher;
import snn.training.RunFolder;

/**
 * {@code snn train ... --nproc N}: claims the run folder (a new run) or checks it (a resume), then starts N workers
 * running the same {@code train} command without {@code --nproc} on a JVM like this one ({@link LocalWorkers},
 * {@link Launcher#sameJvmCommand}), and says how to continue when one failed. Its exit status is 0 when every
 * worker succeeded, else that of the first worker that failed, or {@value Main#DISTRIBUTED_FAILURE} when a signal
 * ended that worker.
 */
final class WorkerLaunch {

    private WorkerLaunch() {
    }

    static int run(TrainCommand c, int processes) {
        for (String v : List.of(DistributedEnv.RANK, DistributedEnv.WORLD_SIZE)) {
            if (System.getenv(v) != null) {
                throw new DistributedException("--nproc starts workers of its own, but " + v + " is set: this"
                        + " process was started by a launcher already (torchrun, srun); leave out --nproc there");
            }
        }
        try (LocalWorkers workers = LocalWorkers.host(processes, Duration.ofSeconds(c.timeout), masterPort(),
                System.out, System.err)) {
            return run(c, workers);
        }
    }

    /** Claims or checks the run folder (after the store is up, so that a port in use leaves no folder), runs. */
    private static int run(TrainCommand c, LocalWorkers workers) {
        List<String> args = new ArrayList<>(List.of("train"));
        Path runDir;
        if (c.resume != null) {
            runDir = RunFolder.open(c.resume).dir();
            args.addAll(List.of("--resume", runDir.toString()));
        } else {
            runDir = c.claim(c.experiment()).dir();
            if (c.config != null) {
                args.addAll(List.of("--config", c.config.toString()));
            }
            if (c.asLif != null) {
                args.addAll(List.of("--as-lif", c.asLif, "--init", c.init.toString()));
            }
            args.addAll(List.of("--out", runDir.toString()));
            if (c.force) {
                args.add("--force");
            }
        }
        for (String o : c.overrides) {
            args.addAll(List.of("--set", o));
        }
        args.addAll(List.of("--timeout", Integer.toString(c.timeout)));
        LocalWorkers.Outcome outcome;
        // The launcher holds the folder's lock for its workers (rank 0 writes; see RunFolder.lock).
        try (RunFolder.Lock lock = new RunFolder(runDir).lock()) {
            lock.takeOverNote(runDir).ifPresent(System.out::println);
            outcome = workers.run(Launcher.sameJvmCommand(args));
        }
        if (outcome.status() != 0) {
            System.err.println("snn: distributed training failed: " + outcome.failed() + ". " + (Files.isRegularFile(
                    new RunFolder(runDir).state()) ? "Continue from its last completed epoch with: snn train --resume "
                    + runDir + " [--nproc N] (any number of processes)" : "No epoch completed; start the run again"));
            System.err.flush();
        }
        // A worker ended by a signal would make this process look killed (status 128 + n): say "distributed failure".
        return outcome.status() > 128 ? Main.DISTRIBUTED_FAILURE : outcome.status();
    }

    /** {@code MASTER_PORT} when set (the port to host the store on), else 0 for a free one. */
    private static int masterPort() {
        String v = System.getenv(DistributedEnv.MASTER_PORT);
        if (v == null || v.isBlank()) {
            return 0;
        }
        try {
            int port = Integer.parseInt(v.trim());
            if (port >= 1 && port <= 65535) {
                return port;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new DistributedException(DistributedEnv.MASTER_PORT + "=" + v + ": expected a TCP port from 1 to 65535"
                + " (or leave it unset to have a free one picked)");
    }
}
