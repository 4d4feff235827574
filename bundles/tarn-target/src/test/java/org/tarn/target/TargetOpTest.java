package org.tarn.target;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tarn.api.ErrorCode;
import org.tarn.api.TarnException;
import org.tarn.target.protocol.TargetOp;

/** The OST operations, executed on a target: what each does and what each refuses. */
class TargetOpTest {
    @TempDir
    Path dir;

    private TargetFixture fx;
    private Target t;

    @BeforeEach
    void start() throws Exception {
        fx = new TargetFixture(dir, 60_000);
        fx.createPool("tank");
        t = fx.targets.createTarget("tank", "ost0", TargetRole.OST);
        t.connect("c");
    }

    @AfterEach
    void stop() {
        fx.close();
    }

    private static ErrorCode code(Throwable e) {
        return ((TarnException) e).code();
    }

    private byte[] run(TargetOp op) {
        return t.execute("c", op).data();
    }

    @Test
    void create_write_read_punch_attributes_statfs_and_delete_pos() {
        assertThat(TargetOp.decodeLong(run(new TargetOp.Statfs()))).isZero();
        long id = TargetOp.decodeLong(run(new TargetOp.CreateObject()));
        byte[] hello = "hello, world".getBytes(StandardCharsets.UTF_8);
        assertThat(TargetOp.decodeLong(run(new TargetOp.Write(id, 0, hello)))).isEqualTo(hello.length);
        assertThat(new String(run(new TargetOp.Read(id, 7, 100)), StandardCharsets.UTF_8)).isEqualTo("world");
        run(new TargetOp.Punch(id, 5, 2));
        assertThat(run(new TargetOp.Read(id, 0, hello.length))).isEqualTo("hello\0\0world".getBytes(StandardCharsets.UTF_8));
        // a punch past the end changes nothing, and the size stays
        run(new TargetOp.Punch(id, 100, 10));
        ObjectAttributes a = TargetOp.decodeAttributes(run(new TargetOp.GetAttributes(id)));
        assertThat(a.sizeBytes()).isEqualTo(hello.length);
        assertThat(a.ctimeMillis()).isPositive();
        run(new TargetOp.SetAttributes(id, ObjectAttributes.MTIME | ObjectAttributes.UID | ObjectAttributes.PROJID,
                ObjectAttributes.of(1234, 99, 0, 1000, 77, 5)));
        ObjectAttributes b = TargetOp.decodeAttributes(run(new TargetOp.GetAttributes(id)));
        assertThat(b.mtimeMillis()).isEqualTo(1234);
        assertThat(b.atimeMillis()).isEqualTo(a.atimeMillis());
        assertThat(b.uid()).isEqualTo(1000);
        assertThat(b.gid()).isZero();
        assertThat(b.projid()).isEqualTo(5);
        assertThat(TargetOp.decodeLong(run(new TargetOp.Statfs()))).isEqualTo(1);
        // reads and attribute reads take no transaction number
        long before = t.lastTransno();
        assertThat(t.execute("c", new TargetOp.Read(id, 0, 1)).transno()).isZero();
        assertThat(t.lastTransno()).isEqualTo(before);
        run(new TargetOp.Delete(id));
        assertThat(TargetOp.decodeLong(run(new TargetOp.Statfs()))).isZero();
    }

    @Test
    void operations_on_missing_or_reserved_objects_are_refused_and_take_no_number_neg() {
        long before = t.lastTransno();
        assertThatThrownBy(() -> run(new TargetOp.Write(999, 0, new byte[1]))).hasMessageContaining("does not exist")
                .extracting(TargetOpTest::code).isEqualTo(ErrorCode.NOT_FOUND);
        assertThatThrownBy(() -> run(new TargetOp.Read(999, 0, 1))).extracting(TargetOpTest::code)
                .isEqualTo(ErrorCode.NOT_FOUND);
        assertThatThrownBy(() -> run(new TargetOp.Delete(999))).extracting(TargetOpTest::code)
                .isEqualTo(ErrorCode.NOT_FOUND);
        // object ids are the target's own (FIDs): the DMU objects of its records have none
        assertThatThrownBy(() -> run(new TargetOp.Write(1, 0, new byte[1]))).extracting(TargetOpTest::code)
                .isEqualTo(ErrorCode.NOT_FOUND);
        // only a replay may name the id of the object it creates
        assertThatThrownBy(() -> run(new TargetOp.CreateObject(42))).hasMessageContaining("only a replay")
                .extracting(TargetOpTest::code).isEqualTo(ErrorCode.INVALID_ARGUMENT);
        assertThat(t.lastTransno()).isEqualTo(before);
    }
}
