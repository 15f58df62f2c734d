package snn.cli;

import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.LinkedHashMap;
import java.util.Map;

import snn.training.StopSignal;

/**
 * Ctrl-C (SIGINT) and SIGTERM during {@code snn train}: the first one asks the training to stop cleanly at the end of
 * the batch under way ({@link StopSignal}), which then says where it stopped and how to resume; a second one stops
 * the process at once, without saving.
 *
 * <p>The JDK's only way to handle a signal is {@code sun.misc.Signal} (module {@code jdk.unsupported}); it is reached
 * by reflection, so that no compiler or javadoc run warns about an internal API. Where it is missing or refuses (a
 * JVM run with {@code -Xrs}), the default handling stays: the process ends at once, as before.
 */
final class StopSignals {

    /** Each signal's handler before {@link #onInterrupt()}, by signal name, to put back. */
    private static final Map<String, Object> PREVIOUS = new LinkedHashMap<>();

    private StopSignals() {
    }

    /**
     * Installs the handlers for this process's training.
     *
     * @return the signal they set
     */
    static synchronized StopSignal onInterrupt() {
        StopSignal stop = new StopSignal();
        install("INT", "SIGINT (Ctrl-C)", 130, stop);
        install("TERM", "SIGTERM", 143, stop);
        return stop;
    }

    private static void install(String name, String description, int status, StopSignal stop) {
        try {
            Object previous = handle(name, (Runnable) () -> {
                if (stop.requested()) {
                    Runtime.getRuntime().halt(status);
                }
                stop.request(description, status);
                System.err.println("snn: " + description + ": stopping at the end of this batch (again to stop at"
                        + " once, without saving)");
            });
            PREVIOUS.putIfAbsent(name, previous);
        } catch (ReflectiveOperationException | IllegalArgumentException e) {
            // no sun.misc.Signal, or the JVM does not let us handle this signal: the default handling stays
        }
    }

    /** Puts back the handlers there were before {@link #onInterrupt()}. */
    static synchronized void restore() {
        PREVIOUS.forEach((name, handler) -> {
            try {
                handle(name, handler);
            } catch (ReflectiveOperationException | IllegalArgumentException e) {
                // it was installed, so it can be put back; if not, the process ends soon anyway
            }
        });
        PREVIOUS.clear();
    }

    /**
     * {@code sun.misc.Signal.handle(new Signal(name), handler)}: {@code handler} is either a previous handler or a
     * {@link Runnable} to run on the signal.
     *
     * @return the handler replaced
     */
    private static Object handle(String name, Object handler) throws ReflectiveOperationException {
        Class<?> signalType = Class.forName("sun.misc.Signal");
        Class<?> handlerType = Class.forName("sun.misc.SignalHandler");
        Object signal = signalType.getConstructor(String.class).newInstance(name);
        Object h = handler instanceof Runnable action ? Proxy.newProxyInstance(StopSignals.class.getClassLoader(),
                new Class<?>[] {handlerType}, (proxy, method, args) -> invoke(proxy, method, args, action)) : handler;
        Method handle = signalType.getMethod("handle", signalType, handlerType);
        try {
            return handle.invoke(null, signal, h);
        } catch (java.lang.reflect.InvocationTargetException e) {
            if (e.getCause() instanceof IllegalArgumentException refused) {
                throw refused;
            }
            throw e;
        }
    }

    private static Object invoke(Object proxy, Method method, Object[] args, Runnable action) {
        return switch (method.getName()) {
            case "handle" -> {
                action.run();
                yield null;
            }
            case "hashCode" -> System.identityHashCode(proxy);
            case "equals" -> proxy == args[0];
            case "toString" -> "snn stop handler";
            default -> null;
        };
    }
}
