package snn.cli;

/**
 * Marker for failures caused by the user's input (a bad config, a missing data file): the CLI prints the message
 * alone and exits with status 2. Library exceptions implement it to be reported that way.
 */
public interface UserError {
    /** {@return the message the CLI prints after {@code snn: }, saying what is wrong and what to do} */
    String getMessage();
}
