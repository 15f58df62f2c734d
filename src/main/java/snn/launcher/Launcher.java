package snn.launcher;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * The entry point of {@code snn.jar}: runs the snn command line on a JVM that can run it, whichever {@code java}
 * started the jar.
 *
 * <p>snn needs Java {@value #MINIMUM_JAVA} or newer (the Foreign Function and Memory API), native access for the
 * unnamed module, and, from Java {@value #UNSAFE_WARNS_FROM} on, {@code --sun-misc-unsafe-memory-access=allow}
 * (JavaCPP reads tensor memory through {@code sun.misc.Unsafe}, which prints a warning otherwise). When the running
 * JVM meets all three, {@link #main} calls {@code snn.cli.Main} in this process. Otherwise it starts a child JVM
 * with the flags snn needs, on this JVM's own JDK when it is new enough and else on the first JDK of the search
 * {@link JdkSearch} describes (the same places, in the same order, as {@code bin/find-jdk}), forwards this JVM's
 * options, the arguments, standard input and output, and passes the child's exit status on. SIGINT and SIGTERM to
 * this process stop the child; a child whose launcher died without a signal handler running (SIGKILL) notices and
 * stops by itself ({@link ParentWatch}). Without a suitable JDK it prints one line saying what to install and
 * exits with status 2.
 *
 * <p>This package is compiled for Java 8 and uses the rest of snn only by reflection, so that an old default
 * {@code java} can load it and say what is wrong instead of failing with {@code UnsupportedClassVersionError}.
 */
public final class Launcher {

    /** The oldest Java release snn runs on. */
    public static final int MINIMUM_JAVA = 22;

    /** The first Java release that has {@code --sun-misc-unsafe-memory-access}. */
    public static final int UNSAFE_FLAG_FROM = 23;

    /** The first Java release that warns about {@code sun.misc.Unsafe} memory access unless the flag allows it. */
    public static final int UNSAFE_WARNS_FROM = 24;

    /** The exit status when no suitable JDK is found (the CLI's status for a user error). */
    public static final int NO_JDK_STATUS = 2;

    /** System property that marks a JVM started by a launcher; such a JVM never starts another one. */
    static final String RELAUNCHED_PROPERTY = "snn.launcher.relaunched";

    private static final String CLI_MAIN = "snn.cli.Main";
    private static final String NATIVE_ACCESS_FLAG = "--enable-native-access=ALL-UNNAMED";
    private static final String UNSAFE_FLAG = "--sun-misc-unsafe-memory-access=allow";
    /**
     * The heap policy snn runs with: the Java heap holds only the compact datasets and small objects (tensors live in
     * native memory), so the collector may spend more time collecting (up to a third of the time, while a dataset
     * loads) rather than grow the heap, and gives free heap back soon. Measured on an SSC-sized training, this
     * halves the heap's peak (docs/benchmarks.md, "Memory of the SSC recipe"). A user's own options come after these
     * and take precedence.
     */
    private static final List<String> HEAP_FLAGS = Collections.unmodifiableList(Arrays.asList(
            "-XX:GCTimeRatio=2", "-XX:MinHeapFreeRatio=10", "-XX:MaxHeapFreeRatio=30"));

    private Launcher() {
    }

    /**
     * Runs {@code snn args...} in this JVM when it is suitable, else in a child JVM that is, and exits with the CLI's
     * status.
     *
     * @param args the snn command line, e.g. {@code train --config configs/quickstart.json}
     * @throws Exception what {@code snn.cli.Main} throws when it runs in this JVM, or a failure to start the child
     */
    public static void main(String[] args) throws Exception {
        int feature = Jdk.feature(System.getProperty("java.specification.version"));
        boolean relaunched = Boolean.getBoolean(RELAUNCHED_PROPERTY);
        if (relaunched) {
            ParentWatch.start();
        }
        if (feature >= MINIMUM_JAVA && (relaunched || runsCleanly(feature))) {
            runCli(args);
            return;
        }
        JdkSearch search = JdkSearch.of(System.getenv());
        Jdk target = feature >= MINIMUM_JAVA ? new Jdk(Paths.get(System.getProperty("java.home")), feature)
                : search.find(MINIMUM_JAVA);
        if (target == null || relaunched) {
            System.err.println(noJdkMessage(feature, System.getProperty("java.home"), search));
            System.exit(NO_JDK_STATUS);
        }
        List<String> command = childCommand(target, forwardableOptions(inputArguments(), System.getenv()),
                System.getProperty("java.class.path"), args);
        System.exit(ChildJvm.run(command));
    }

    /**
     * The JVM flags snn needs on a Java release: native access for the class path everywhere, and
     * {@code sun.misc.Unsafe} memory access allowed where the flag exists (Java {@value #UNSAFE_FLAG_FROM} on).
     *
     * @param feature the Java feature release, e.g. 25
     * @return the flags, in the order they go on the command line
     */
    public static List<String> jvmFlags(int feature) {
        List<String> flags = new ArrayList<>();
        flags.add(NATIVE_ACCESS_FLAG);
        if (feature >= UNSAFE_FLAG_FROM) {
            flags.add(UNSAFE_FLAG);
        }
        return Collections.unmodifiableList(flags);
    }

    /**
     * The command that runs snn in a new JVM like this one, e.g. a worker of a data-parallel run: this JVM's
     * {@code java} with the flags snn needs ({@link #jvmFlags}), this JVM's other options (heap size, system
     * properties), its class path, and this launcher as the main class, marked as re-launched, so that the new JVM
     * runs the command line at once and stops by itself if this process dies without stopping it.
     *
     * @param args the snn command line, e.g. {@code train --config configs/quickstart.json}
     * @return the command, ready for a {@link ProcessBuilder}
     */
    public static List<String> sameJvmCommand(List<String> args) {
        Jdk self = new Jdk(Paths.get(System.getProperty("java.home")),
                Jdk.feature(System.getProperty("java.specification.version")));
        return childCommand(self, forwardableOptions(inputArguments(), System.getenv()),
                System.getProperty("java.class.path"), args.toArray(new String[0]));
    }

    /**
     * The heap flags snn starts its JVMs with (bin/snn, a re-launch, the workers of a data-parallel run): a frugal
     * heap policy (see the constant's description); options given by the user come after them and win.
     *
     * @return the flags, in the order they go on the command line
     */
    public static List<String> heapFlags() {
        return HEAP_FLAGS;
    }

    /** Whether snn runs in this JVM without restricted-method or {@code sun.misc.Unsafe} warnings. */
    private static boolean runsCleanly(int feature) {
        return nativeAccessEnabled()
                && (feature < UNSAFE_WARNS_FROM || "allow".equals(System.getProperty("sun.misc.unsafe.memory.access")));
    }

    /** {@code Launcher.class.getModule().isNativeAccessEnabled()}, a Java 22 method, called by reflection. */
    private static boolean nativeAccessEnabled() {
        try {
            Object module = Class.class.getMethod("getModule").invoke(Launcher.class);
            return (Boolean) module.getClass().getMethod("isNativeAccessEnabled").invoke(module);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return false;
        }
    }

    private static void runCli(String[] args) throws Exception {
        Method main = Class.forName(CLI_MAIN).getMethod("main", String[].class);
        try {
            main.invoke(null, (Object) args);
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause();
            if (cause instanceof Exception) {
                throw (Exception) cause;
            }
            if (cause instanceof Error) {
                throw (Error) cause;
            }
            throw e;
        }
    }

    /** This JVM's options as given on its command line and in the environment, or none where that is unknown. */
    private static List<String> inputArguments() {
        try {
            return java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments();
        } catch (RuntimeException | LinkageError e) { // a runtime image without java.management
            return Collections.emptyList();
        }
    }

    /**
     * The options of this JVM that the child should get too (heap size, system properties, ...): all except the
     * flags the launcher sets itself and those that came from {@code JAVA_TOOL_OPTIONS} or
     * {@code JDK_JAVA_OPTIONS}, which the child reads from the environment it inherits.
     */
    static List<String> forwardableOptions(List<String> inputArguments, Map<String, String> env) {
        List<String> fromEnvironment = new ArrayList<>();
        for (String variable : new String[] {"JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS"}) {
            String value = env.get(variable);
            if (value != null && !value.trim().isEmpty()) {
                fromEnvironment.addAll(Arrays.asList(value.trim().split("\\s+")));
            }
        }
        List<String> forwarded = new ArrayList<>();
        for (String option : inputArguments) {
            if (fromEnvironment.remove(option) || HEAP_FLAGS.contains(option)
                    || option.startsWith("--enable-native-access")
                    || option.startsWith("--sun-misc-unsafe-memory-access")
                    || option.startsWith("-D" + RELAUNCHED_PROPERTY)) {
                continue;
            }
            forwarded.add(option);
        }
        return forwarded;
    }

    /** {@code java FLAGS HEAP_FLAGS OPTIONS -Dsnn.launcher.relaunched=true -cp CLASSPATH snn.launcher.Launcher ARGS}. */
    static List<String> childCommand(Jdk jdk, List<String> options, String classPath, String[] args) {
        List<String> command = new ArrayList<>();
        command.add(jdk.java().toString());
        command.addAll(jvmFlags(jdk.feature()));
        command.addAll(HEAP_FLAGS);
        command.addAll(options);
        command.add("-D" + RELAUNCHED_PROPERTY + "=true");
        command.add("-cp");
        command.add(classPath);
        command.add(Launcher.class.getName());
        command.addAll(Arrays.asList(args));
        return command;
    }

    /** The one line printed when no JDK can run snn. */
    static String noJdkMessage(int feature, String javaHome, JdkSearch search) {
        return "snn: needs Java " + MINIMUM_JAVA + " or newer; this is Java " + feature + " (" + javaHome
                + ") and none was found (looked in " + search.places() + "). Install a JDK " + MINIMUM_JAVA
                + " or newer (e.g. Temurin 25 from https://adoptium.net) or set JAVA_HOME to one.";
    }
}
