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
    assertThatThrownBy(() -> Location.parse("ftp://host/x")).isInstanceOf(InvalidLocationException.class)
        .hasMessageContaining("Unknown location scheme 'ftp'").hasMessageContaining("az://");
  }

  @Test
  void gcsLocationsKeepBucketAndKey() {
    Location l = Location.parse("gs://my-bucket/models/run1/model.ckpt");
    assertThat(l.scheme()).isEqualTo(Location.GCS);
    assertThat(l.authority()).isEqualTo("my-bucket");
    assertThat(l.path()).isEqualTo("models/run1/model.ckpt");
    assertThat(l.toString()).isEqualTo("gs://my-bucket/models/run1/model.ckpt");
    assertThat(Location.parse("gs://b").isRoot()).isTrue();
    assertThatThrownBy(() -> Location.parse("gs:///k")).hasMessageContaining("gs://BUCKET/KEY");
  }

  @Test
  void azureLocationsInEveryWrittenForm() {
    Location az = Location.parse("az://Account1/models/run/model.ckpt");
    assertThat(az.scheme()).isEqualTo(Location.AZURE);
    assertThat(az.authority()).isEqualTo("account1/models");
    assertThat(az.path()).isEqualTo("run/model.ckpt");
    assertThat(az.toString()).isEqualTo("az://account1/models/run/model.ckpt");
    assertThat(Location.parse(az.toString())).isEqualTo(az);
    assertThat(Location.parse("az://account1/models").isRoot()).isTrue();
    assertThat(Location.parse("az://account1/models/run").resolve("model.ckpt")).isEqualTo(az);
    assertThat(Location.parse("abfss://models@account1.dfs.core.windows.net/run/model.ckpt")).isEqualTo(az);
    assertThat(Location.parse("abfs://models@ACCOUNT1.dfs.core.windows.net/run/model.ckpt")).isEqualTo(az);
    assertThat(Location.parse("wasbs://models@account1.blob.core.windows.net/run/model.ckpt")).isEqualTo(az);
    assertThatThrownBy(() -> Location.parse("az://account1")).hasMessageContaining("az://ACCOUNT/CONTAINER/PATH");
    assertThatThrownBy(() -> Location.parse("abfss://models@host.example.com/x"))
        .isInstanceOf(InvalidLocationException.class).hasMessageContaining("az://ACCOUNT/CONTAINER/PATH");
  }

  @Test
  void hdfsLocationsKeepTheNamenode() {
    Location l = Location.parse("hdfs://namenode:8020/user/tf/model.ckpt");
    assertThat(l.scheme()).isEqualTo(Location.HDFS);
    assertThat(l.authority()).isEqualTo("namenode:8020");
    assertThat(l.path()).isEqualTo("user/tf/model.ckpt");
    assertThat(l.toString()).isEqualTo("hdfs://namenode:8020/user/tf/model.ckpt");
    Location defaultFs = Location.parse("hdfs:///user/tf");
    assertThat(defaultFs.authority()).isEmpty();
    assertThat(defaultFs.toString()).isEqualTo("hdfs:///user/tf");
    assertThat(Location.parse(defaultFs.toString())).isEqualTo(defaultFs);
  }

  @Test
  void httpLocationsAreDecodedAndEncodedAgain() {
    Location l = Location.parse("https://Models.Example.com:8443/zoo/my%20model/model.ckpt.index");
    assertThat(l.scheme()).isEqualTo(Location.HTTPS);
    assertThat(l.isHttp()).isTrue();
    assertThat(l.authority()).isEqualTo("models.example.com:8443");
    assertThat(l.path()).isEqualTo("zoo/my model/model.ckpt.index");
    assertThat(l.toString()).isEqualTo("https://models.example.com:8443/zoo/my%20model/model.ckpt.index");
    assertThat(Location.parse(l.toString())).isEqualTo(l);
    Location unicode = Location.parse("http://h/dir/ünï 100%25.bin");
    assertThat(unicode.path()).isEqualTo("dir/ünï 100%.bin");
    assertThat(unicode.toString()).isEqualTo("http://h/dir/%C3%BCn%C3%AF%20100%25.bin");
    assertThat(Location.parse(unicode.toString())).isEqualTo(unicode);
    assertThat(Location.parse("http://h/a").resolve("b c").toString()).isEqualTo("http://h/a/b%20c");
    assertThatThrownBy(() -> Location.parse("https://h/model.pb?sig=abc")).hasMessageContaining("query string");
    assertThatThrownBy(() -> Location.parse("https://h/100%.bin")).hasMessageContaining("%25");
    assertThatThrownBy(() -> Location.parse("https://user:pw@h/x")).hasMessageContaining("HOST");
    assertThat(Location.parse("https://h/m.tar.gz!/export/1").container().scheme()).isEqualTo(Location.HTTPS);
  }
}
