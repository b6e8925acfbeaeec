package io.tfgw.serve;

import io.tfgw.converters.resolve.Resolved;
import io.tfgw.core.storage.FileEntry;
import io.tfgw.core.storage.Location;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The Hugging Face Hub's file plane, as its clients ({@code huggingface_hub}, {@code @huggingface/hub}) call it:
 * {@code /api/models/{repo}[/revision/{rev}]}, {@code /api/models/{repo}/tree/{rev}[/{path}]} and
 * {@code /{repo}/resolve|raw/{rev}/{file}}. A repo is a directory under ROOT; {@code rev} is {@code main} (the
 * directory itself) or a subdirectory (a TF Serving version, {@code 1}). A directory holding a checkpoint also
 * lists its virtual {@code model.safetensors}.
 */
final class HubApi {
  private final RootGuard guard;
  private final VirtualFiles virtualFiles;

  HubApi(RootGuard guard, VirtualFiles virtualFiles) {
    this.guard = guard;
    this.virtualFiles = virtualFiles;
  }

  /** What a repo revision holds: its stored files (relative paths) and the virtual file, if any. */
  private record Snapshot(Location dir, Map<String, Blob> files, String commit) {}

  private Snapshot snapshot(List<String> repo, String rev) {
    return snapshot(repo, rev, true);
  }

  /** The repo's files; the virtual file (an index read) only when asked for, as a plain download does not need it. */
  private Snapshot snapshot(List<String> repo, String rev, boolean withVirtual) {
    List<String> segments = new ArrayList<>(repo);
    if (!rev.equals("main") && !rev.equals("HEAD")) { // HEAD: what the Hub clients ask for "the current revision"
      segments.addAll(RootGuard.segments(rev));
    }
    Location dir = guard.resolve(segments);
    List<FileEntry> entries = guard.list(dir);
    if (entries.isEmpty()) {
      throw new HttpError(404, "RepoNotFound", "No repository /" + String.join("/", repo)
          + (rev.equals("main") ? "" : " at revision " + rev));
    }
    Map<String, Blob> files = new TreeMap<>();
    for (FileEntry e : entries) {
      files.put(dir.relativize(e.location()), new StoredBlob(guard.storage(), e.location(), e.length()));
    }
    String commit = commitOf(files); // stored files only: the virtual file follows from them
    Resolved ckpt = withVirtual ? VirtualSafetensors.checkpointIn(guard.storage(), dir, entries) : null;
    if (ckpt != null) {
      try {
        files.put(VirtualSafetensors.NAME, virtualFiles.of(ckpt));
      } catch (HttpError e) {
        // safetensors cannot hold some tensor (a string): the file is simply not there
      }
    }
    return new Snapshot(dir, files, commit);
  }

  /** {@code GET /api/models/{repo}[/revision/{rev}]}: model info with siblings and sizes. */
  void modelInfo(Exchange ex, List<String> repo, String rev) throws IOException {
    Snapshot s = snapshot(repo, rev);
    String id = String.join("/", repo);
    Map<String, Object> info = new LinkedHashMap<>();
    info.put("_id", id);
    info.put("id", id);
    info.put("modelId", id);
    info.put("sha", s.commit());
    info.put("private", false);
    info.put("disabled", false);
    info.put("gated", false);
    info.put("library_name", "tensorflow");
    info.put("tags", List.of("tfgw"));
    info.put("pipeline_tag", null);
    info.put("downloads", 0);
    info.put("likes", 0);
    info.put("lastModified", java.time.Instant.ofEpochMilli(lastModified(s)).toString());
    List<Map<String, Object>> siblings = new ArrayList<>();
    long total = 0;
    for (Map.Entry<String, Blob> f : s.files().entrySet()) {
      siblings.add(Map.of("rfilename", f.getKey(), "size", f.getValue().length()));
      total += f.getValue().length();
    }
    info.put("siblings", siblings);
    info.put("usedStorage", total);
    ex.json(200, info);
  }

  /** {@code GET /api/models/{repo}/tree/{rev}[/{path}]?recursive=}: files and directories as the Hub lists them. */
  void tree(Exchange ex, List<String> repo, String rev, List<String> path) throws IOException {
    Snapshot s = snapshot(repo, rev);
    boolean recursive = "true".equals(ex.query("recursive")) || "1".equals(ex.query("recursive"));
    String base = path.isEmpty() ? "" : String.join("/", path) + "/";
    List<Map<String, Object>> out = new ArrayList<>();
    java.util.Set<String> dirs = new java.util.TreeSet<>();
    boolean any = false;
    for (Map.Entry<String, Blob> f : s.files().entrySet()) {
      String name = f.getKey();
      if (!name.startsWith(base)) {
        continue;
      }
      any = true;
      String rest = name.substring(base.length());
      int slash = rest.indexOf('/');
      if (slash >= 0) {
        if (recursive) {
          String[] parts = rest.split("/");
          StringBuilder d = new StringBuilder(base);
          for (int i = 0; i < parts.length - 1; i++) {
            d.append(parts[i]);
            dirs.add(d.toString());
            d.append('/');
          }
        } else {
          dirs.add(base + rest.substring(0, slash));
          continue;
        }
      }
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("type", "file");
      e.put("oid", oidOf(f.getValue().etag()));
      e.put("size", f.getValue().length());
      e.put("path", name);
      out.add(e);
    }
    if (!any && !path.isEmpty()) {
      throw HttpError.notFound("No path " + String.join("/", path) + " in " + String.join("/", repo));
    }
    for (String d : dirs) {
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("type", "directory");
      e.put("oid", oidOf(d));
      e.put("size", 0);
      e.put("path", d);
      out.add(e);
    }
    ex.json(200, out);
  }

  /**
   * {@code POST /api/models/{repo}/paths-info/{rev}}: the given paths' entries as the tree lists them, in the order
   * asked, absent paths left out (as the Hub does). The body is JSON ({@code {"paths": [...], "expand": true}}, as
   * {@code @huggingface/hub} sends it) or a form ({@code paths=a&paths=b&expand=true}, as {@code huggingface_hub}
   * does). With {@code expand}, each entry has the Hub's {@code lastCommit}: the snapshot's commit (the one
   * {@code X-Repo-Commit} and model info give) and its newest file time; clients use its id to name their cached
   * snapshot.
   */
  void pathsInfo(Exchange ex, List<String> repo, String rev) throws IOException {
    PathsQuery q = PathsQuery.parse(ex.header(org.eclipse.jetty.http.HttpHeader.CONTENT_TYPE), ex.body(1 << 20));
    Snapshot s = snapshot(repo, rev, q.paths().contains(VirtualSafetensors.NAME));
    Map<String, Object> lastCommit = null;
    if (q.expand()) {
      lastCommit = new LinkedHashMap<>();
      lastCommit.put("id", s.commit());
      lastCommit.put("title", "tfgw snapshot of " + String.join("/", repo) + " at " + rev);
      lastCommit.put("date", java.time.Instant.ofEpochMilli(lastModified(s)).toString());
    }
    List<Map<String, Object>> out = new ArrayList<>();
    java.util.Set<String> seen = new java.util.HashSet<>();
    for (String asked : q.paths()) {
      String path = asked.replaceAll("^/+|/+$", "");
      if (!seen.add(path)) {
        continue;
      }
      Blob blob = s.files().get(path);
      Map<String, Object> e = new LinkedHashMap<>();
      if (blob != null) {
        e.put("type", "file");
        e.put("oid", oidOf(blob.etag()));
        e.put("size", blob.length());
      } else if (!path.isEmpty() && s.files().keySet().stream().anyMatch(n -> n.startsWith(path + "/"))) {
        e.put("type", "directory");
        e.put("oid", oidOf(path));
        e.put("size", 0);
      } else {
        continue; // the Hub leaves out what is not there; a client asking one path sees an empty list
      }
      e.put("path", path);
      if (lastCommit != null) {
        e.put("lastCommit", lastCommit);
      }
      out.add(e);
    }
    ex.json(200, out);
  }

  /** The paths and {@code expand} of a paths-info request. */
  record PathsQuery(List<String> paths, boolean expand) {
    static PathsQuery parse(String contentType, byte[] body) {
      String type = contentType == null ? "" : contentType.toLowerCase(java.util.Locale.ROOT);
      List<String> paths = new ArrayList<>();
      boolean expand = false;
      if (type.startsWith("application/x-www-form-urlencoded")) {
        for (String pair : new String(body, StandardCharsets.UTF_8).split("&")) {
          int eq = pair.indexOf('=');
          String name = java.net.URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
          String value = eq < 0 ? "" : java.net.URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
          if (name.equals("paths") || name.equals("paths[]")) {
            paths.add(value);
          } else if (name.equals("expand")) {
            expand = value.equalsIgnoreCase("true") || value.equals("1");
          }
        }
      } else if (type.startsWith("application/json") || type.isEmpty()) {
        com.fasterxml.jackson.databind.JsonNode json;
        try {
          json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(body);
        } catch (IOException e) {
          throw HttpError.badRequest("paths-info: the body is not JSON (" + e.getMessage().lines().findFirst().orElse("") + ")");
        }
        com.fasterxml.jackson.databind.JsonNode p = json == null ? null : json.get("paths");
        if (p != null && p.isTextual()) {
          paths.add(p.asText());
        } else if (p != null && p.isArray()) {
          p.forEach(x -> paths.add(x.asText()));
        }
        com.fasterxml.jackson.databind.JsonNode x = json == null ? null : json.get("expand");
        expand = x != null && (x.asBoolean() || x.asText().equalsIgnoreCase("true"));
      } else {
        throw HttpError.badRequest("paths-info takes JSON ({\"paths\": [...], \"expand\": true}) or a form"
            + " (paths=A&paths=B&expand=true), not " + contentType);
      }
      if (paths.isEmpty()) {
        throw HttpError.badRequest("paths-info: give paths, as JSON {\"paths\": [\"config.json\"]} or a form"
            + " paths=config.json");
      }
      return new PathsQuery(paths, expand);
    }
  }

  /** {@code GET|HEAD /{repo}/resolve|raw/{rev}/{file}} with ranges and ETags. */
  void file(Exchange ex, List<String> repo, String rev, List<String> file) throws IOException {
    String name = String.join("/", file);
    Snapshot s = snapshot(repo, rev, name.equals(VirtualSafetensors.NAME));
    Blob blob = s.files().get(name);
    if (blob == null) {
      throw HttpError.notFound("No file " + name + " in " + String.join("/", repo) + " at revision " + rev);
    }
    ex.setHeader("X-Repo-Commit", s.commit());
    ex.send(blob);
  }

  /** The newest modification time of the snapshot's stored files (0 when the store keeps none). */
  private long lastModified(Snapshot s) {
    long newest = 0;
    for (FileEntry e : guard.list(s.dir())) {
      newest = Math.max(newest, guard.storage().capability(io.tfgw.core.storage.FileTimes.class, e.location())
          .flatMap(t -> t.lastModified(e.location())).map(java.time.Instant::toEpochMilli).orElse(0L));
    }
    return newest;
  }

  /** A stable 40-hex "commit" for a snapshot: the hash of its names and ETags (it changes when any file does). */
  private static String commitOf(Map<String, Blob> files) {
    StringBuilder b = new StringBuilder();
    files.forEach((name, blob) -> b.append(name).append('\0').append(blob.etag()).append('\n'));
    return sha1(b.toString());
  }

  private static String oidOf(String text) {
    return sha1(text);
  }

  private static String sha1(String text) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
