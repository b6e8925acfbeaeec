package io.tfgw.core.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class LocationTest {
  @Test
  void localPathsBecomeAbsoluteAndNormalized() {
    Location l = Location.parse("a/./b/../model.ckpt");
    assertThat(l.isLocal()).isTrue();
    assertThat(l.path()).isEqualTo(Path.of("a/model.ckpt").toAbsolutePath().toString());
    assertThat(Location.parse("file:///tmp/x")).isEqualTo(Location.parse("/tmp/x"));
    assertThat(Location.parse("/tmp/x/").toString()).isEqualTo("/tmp/x");
  }

  @Test
  void s3LocationsKeepBucketAndKey() {
    Location l = Location.parse("s3://bucket/models/a/model.ckpt");
    assertThat(l.scheme()).isEqualTo("s3");
    assertThat(l.authority()).isEqualTo("bucket");
    assertThat(l.path()).isEqualTo("models/a/model.ckpt");
    assertThat(l.fileName()).isEqualTo("model.ckpt");
    assertThat(l.parent().toString()).isEqualTo("s3://bucket/models/a");
    assertThat(l.appendToName(".index").toString()).isEqualTo("s3://bucket/models/a/model.ckpt.index");
    assertThat(Location.parse("s3://bucket").isRoot()).isTrue();
    assertThat(Location.parse("s3://bucket/").resolve("k").toString()).isEqualTo("s3://bucket/k");
    assertThatThrownBy(() -> Location.parse("s3:///key")).hasMessageContaining("bucket");
  }

  @Test
  void archiveLocationsNestAContainer() {
    Location l = Location.parse("models.tar.gz!/export/1");
    assertThat(l.scheme()).isEqualTo(Location.ARCHIVE);
    assertThat(l.container()).isEqualTo(Location.parse("models.tar.gz"));
    assertThat(l.path()).isEqualTo("export/1");
    assertThat(l.toString()).endsWith("models.tar.gz!/export/1");
    assertThat(Location.parse("s3://b/m.zip!/").path()).isEmpty();
    assertThat(Location.parse("s3://b/m.zip!/").container().authority()).isEqualTo("b");
    assertThat(Location.parse(l.toString())).isEqualTo(l);
  }

  @Test
  void climbingOutIsRefusedInKeysAndArchives() {
    assertThatThrownBy(() -> Location.parse("a.zip!/../etc/passwd")).hasMessageContaining("..");
    assertThatThrownBy(() -> Location.parse("s3://b/x").resolve("../y")).isInstanceOf(InvalidLocationException.class)
        .hasMessageContaining("..");
    assertThat(Location.parse("/a/b").resolve("../c/model.ckpt").toString()).isEqualTo("/a/c/model.ckpt");
  }

  @Test
  void relativizeAndWithin() {
    Location dir = Location.parse("s3://b/dir");
    assertThat(dir.relativize(Location.parse("s3://b/dir/x/y"))).isEqualTo("x/y");
    assertThat(dir.relativize(Location.parse("s3://b/dir2/x"))).isNull();
    assertThat(Location.parse("s3://b/dir/x").isWithin(dir)).isTrue();
    assertThat(Location.parse("/").resolve("tmp").toString()).isEqualTo("/tmp");
    assertThat(Location.parse("/tmp").parent().toString()).isEqualTo("/");
  }

  @Test
  void unknownSchemesAreRefusedClearly() {
    assertThatThrownBy(() -> Location.parse("gs://bucket/x")).hasMessageContaining("Unknown location scheme 'gs'");
  }
}
