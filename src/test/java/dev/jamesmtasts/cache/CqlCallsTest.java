package dev.jamesmtasts.cache;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeoutException;

import org.junit.jupiter.api.Test;

import com.datastax.oss.driver.api.core.DefaultConsistencyLevel;
import com.datastax.oss.driver.api.core.DriverTimeoutException;
import com.datastax.oss.driver.api.core.servererrors.CASWriteUnknownException;
import com.datastax.oss.driver.api.core.servererrors.DefaultWriteType;
import com.datastax.oss.driver.api.core.servererrors.ReadTimeoutException;
import com.datastax.oss.driver.api.core.servererrors.WriteTimeoutException;

/** Which failures of a lightweight transaction leave its outcome unknown (then a serial read decides). */
class CqlCallsTest {
    private static StoreException failedWith(Throwable cause) {
        return new StoreException("acquire lease: " + cause, cause);
    }

    @Test
    void casUnknownCasTimeoutsAndClientTimeoutsLeaveTheOutcomeUnknown() {
        assertThat(CqlCalls.outcomeUnknown(failedWith(
                new CASWriteUnknownException(null, DefaultConsistencyLevel.LOCAL_SERIAL, 1, 2)))).isTrue();
        assertThat(CqlCalls.outcomeUnknown(failedWith(
                new WriteTimeoutException(null, DefaultConsistencyLevel.LOCAL_SERIAL, 1, 2, DefaultWriteType.CAS)))).isTrue();
        assertThat(CqlCalls.outcomeUnknown(failedWith(new DriverTimeoutException("no answer")))).isTrue();
        assertThat(CqlCalls.outcomeUnknown(failedWith(new TimeoutException()))).isTrue();
    }

    @Test
    void otherFailuresAreFailures() {
        // a plain write timeout is no LWT outcome; a read timeout changed nothing
        assertThat(CqlCalls.outcomeUnknown(failedWith(
                new WriteTimeoutException(null, DefaultConsistencyLevel.LOCAL_QUORUM, 1, 2, DefaultWriteType.SIMPLE)))).isFalse();
        assertThat(CqlCalls.outcomeUnknown(failedWith(
                new ReadTimeoutException(null, DefaultConsistencyLevel.LOCAL_QUORUM, 1, 2, false)))).isFalse();
        assertThat(CqlCalls.outcomeUnknown(failedWith(new IllegalStateException("session closed")))).isFalse();
    }
}
