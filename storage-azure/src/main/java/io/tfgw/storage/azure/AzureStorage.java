package io.tfgw.storage.azure;

import com.azure.core.http.HttpClient;
import com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder;
import com.azure.identity.DefaultAzureCredentialBuilder;
import com.azure.storage.blob.BlobClient;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobServiceClient;
import com.azure.storage.blob.BlobServiceClientBuilder;
import com.azure.storage.blob.models.BlobItem;
import com.azure.storage.blob.models.BlobListDetails;
import com.azure.storage.blob.models.BlobProperties;
import com.azure.storage.blob.models.ListBlobsOptions;
import com.azure.storage.common.StorageSharedKeyCredential;
import com.azure.storage.common.policy.RequestRetryOptions;
import com.azure.storage.common.policy.RetryPolicyType;
import io.tfgw.core.storage.AtomicOutputStream;
import io.tfgw.core.storage.ConditionalWrites;
import io.tfgw.core.storage.FileEntry;
import io.tfgw.core.storage.FileTimes;
import io.tfgw.core.storage.InputFile;
import io.tfgw.core.storage.Location;
import io.tfgw.core.storage.LocationNotFoundException;
import io.tfgw.core.storage.OutputFile;
import io.tfgw.core.storage.RandomAccessInput;
import io.tfgw.core.storage.Storage;
import io.tfgw.core.storage.StorageException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Azure Blob Storage through the official {@code azure-storage-blob} SDK (with the JDK's HTTP client).
 *
 * <ul>
 *   <li>Reads are ranged GETs pinned by {@code If-Match} to the ETag seen at open: a blob replaced while it is read
 *       fails naming it instead of mixing two versions. The SDK resumes a download that breaks mid-way.</li>
 *   <li>Writes are block blobs: a file that fits one block is a single Put Blob at commit; a larger one stages its
 *       blocks (in parallel, each with a Content-MD5 the service checks) and becomes visible only when the final
 *       Put Block List commits them. Staged blocks that are never committed are invisible and are discarded by
 *       Azure (after a week at the latest).</li>
 *   <li>{@link ConditionalWrites}: the commit carries {@code If-None-Match: *} or {@code If-Match: etag}, so Azure
 *       itself refuses it when another writer got there first.</li>
 *   <li>Requests are retried with exponential backoff (the SDK's policy: timeouts, I/O errors, 408, 429, 5xx).</li>
 *   <li>{@link #list} lists blobs by prefix (flat); directory markers of accounts with a hierarchical namespace
 *       ({@code hdi_isfolder}) are not files.</li>
 * </ul>
 */
public final class AzureStorage implements Storage, FileTimes, ConditionalWrites {
  /** Blob metadata naming the write that committed a blob, so a retried commit recognises its own success. */
  static final String WRITE_ID = "tfgwwrite";

  private final AzureSettings settings;
  private final HttpClient http;
  private final Map<String, BlobServiceClient> services = new ConcurrentHashMap<>();
  private final ExecutorService uploads;
  final AtomicLong getRequests = new AtomicLong();
  final AtomicLong bytesFetched = new AtomicLong();

  public AzureStorage(AzureSettings settings) {
    this.settings = settings;
    this.http = new JdkHttpClientBuilder()
        .connectionTimeout(Duration.ofSeconds(3))
        .readTimeout(settings.readTimeout())
        .responseTimeout(settings.readTimeout())
        .build();
    AtomicInteger n = new AtomicInteger();
    this.uploads = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "tfgw-azure-upload-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
  }

  /** What this backend has read so far. */
  public record Statistics(long getRequests, long bytesFetched) {}

  public Statistics statistics() {
    return new Statistics(getRequests.get(), bytesFetched.get());
  }

  AzureSettings settings() {
    return settings;
  }

  ExecutorService uploads() {
    return uploads;
  }

  private BlobServiceClient service(String account) {
    return services.computeIfAbsent(account, this::newService);
  }

  private BlobServiceClient newService(String account) {
    BlobServiceClientBuilder b = new BlobServiceClientBuilder()
        .httpClient(http)
        .retryOptions(new RequestRetryOptions(RetryPolicyType.EXPONENTIAL, settings.maxAttempts(),
            (Integer) null, 200L, 5_000L, null));
    String endpoint = settings.endpoint().orElse("https://" + account + ".blob.core.windows.net");
    try {
      if (settings.connectionString().isPresent()) {
        b.connectionString(settings.connectionString().get());
        settings.endpoint().ifPresent(b::endpoint);
      } else {
        b.endpoint(endpoint);
        if (settings.sasToken().isPresent()) {
          b.sasToken(settings.sasToken().get());
        } else if (settings.accountKey().isPresent()) {
          b.credential(new StorageSharedKeyCredential(account, settings.accountKey().get()));
        } else {
          b.credential(new DefaultAzureCredentialBuilder().build());
        }
      }
      BlobServiceClient client = b.buildClient();
      if (settings.connectionString().isPresent() && !client.getAccountName().equalsIgnoreCase(account)) {
        throw new StorageException("The Azure connection string is for storage account '" + client.getAccountName()
            + "', but the location names account '" + account + "': use az://" + client.getAccountName()
            + "/CONTAINER/PATH, or the connection string of '" + account + "'");
      }
      return client;
    } catch (IllegalArgumentException e) {
      // the SDK's words for a malformed connection string, SAS or key; they never contain the secret itself
      throw new StorageException("Cannot use the Azure credentials for account '" + account + "' ("
          + settings.credentialKind() + "): " + e.getMessage(), e);
    }
  }

  private static String account(Location location) {
    return location.authority().substring(0, location.authority().indexOf('/'));
  }

  private static String container(Location location) {
    return location.authority().substring(location.authority().indexOf('/') + 1);
  }

  BlobContainerClient container(Location location, String action) {
    requireAzure(location);
    try {
      return service(account(location)).getBlobContainerClient(container(location));
    } catch (StorageException e) {
      throw e;
    } catch (RuntimeException e) {
      throw AzureErrors.of(action, location, e, settings);
    }
  }

  BlobClient blob(Location location, String action) {
    if (location.path().isEmpty()) {
      throw new StorageException(location + " is a container, not a file: name a blob inside it");
    }
    return container(location, action).getBlobClient(location.path());
  }

  private static void requireAzure(Location location) {
    if (!Location.AZURE.equals(location.scheme())) {
      throw new IllegalArgumentException(location + " is not an az:// location");
    }
  }

  /** The blob's properties, or empty when there is no such blob. */
  Optional<BlobProperties> find(Location location) {
    if (location.path().isEmpty()) {
      return Optional.empty();
    }
    try {
      return Optional.of(blob(location, "read").getProperties());
    } catch (StorageException e) {
      throw e;
    } catch (RuntimeException e) {
      if (AzureErrors.isNotFound(e)) {
        return Optional.empty();
      }
      throw AzureErrors.of("read", location, e, settings);
    }
  }

  BlobProperties properties(Location location) {
    return find(location).orElseThrow(() -> new LocationNotFoundException(location, "No such file: " + location));
  }

  @Override
  public InputFile inputFile(Location location) {
    requireAzure(location);
    return new InputFile() {
      private BlobProperties properties;

      @Override
      public Location location() {
        return location;
      }

      @Override
      public long length() {
        if (properties == null) {
          properties = properties(location);
        }
        return properties.getBlobSize();
      }

      @Override
      public boolean exists() {
        return AzureStorage.this.exists(location);
      }

      @Override
      public RandomAccessInput open() {
        BlobProperties p = properties(location);
        return new AzureInput(AzureStorage.this, location, p.getBlobSize(), p.getETag());
      }
    };
  }

  @Override
  public OutputFile outputFile(Location location) {
    blob(location, "write");
    return new OutputFile() {
      @Override
      public Location location() {
        return location;
      }

      @Override
      public AtomicOutputStream create() {
        return new AzureOutput(AzureStorage.this, location, null);
      }
    };
  }

  /** The blob's ETag, which changes with every write; empty when there is no such blob. */
  @Override
  public Optional<String> version(Location file) {
    return find(file).map(BlobProperties::getETag);
  }

  @Override
  public AtomicOutputStream createIf(Location file, Optional<String> expected) {
    blob(file, "write");
    return new AzureOutput(this, file, expected);
  }

  @Override
  public List<FileEntry> list(Location directory) {
    String prefix = directory.path().isEmpty() ? "" : directory.path() + "/";
    List<FileEntry> out = new ArrayList<>();
    try {
      ListBlobsOptions options = new ListBlobsOptions().setPrefix(prefix)
          .setDetails(new BlobListDetails().setRetrieveMetadata(true));
      for (BlobItem item : container(directory, "list").listBlobs(options, null)) {
        if (item.getName().endsWith("/") || item.getName().length() == prefix.length()
            || (item.getMetadata() != null && "true".equalsIgnoreCase(item.getMetadata().get("hdi_isfolder")))) {
          continue; // a directory marker, not a file
        }
        out.add(new FileEntry(directory.resolve(item.getName().substring(prefix.length())),
            item.getProperties().getContentLength()));
      }
    } catch (StorageException e) {
      throw e;
    } catch (RuntimeException e) {
      throw AzureErrors.of("list", directory, e, settings);
    }
    out.sort((a, b) -> Arrays.compareUnsigned(a.location().path().getBytes(StandardCharsets.UTF_8),
        b.location().path().getBytes(StandardCharsets.UTF_8)));
    return out;
  }

  @Override
  public boolean exists(Location location) {
    return find(location).isPresent();
  }

  @Override
  public boolean isDirectory(Location location) {
    String prefix = location.path().isEmpty() ? "" : location.path() + "/";
    try {
      for (BlobItem ignored : container(location, "list").listBlobs(new ListBlobsOptions().setPrefix(prefix)
          .setMaxResultsPerPage(1), null).iterableByPage().iterator().next().getValue()) {
        return true;
      }
      return false;
    } catch (StorageException e) {
      throw e;
    } catch (RuntimeException e) {
      throw AzureErrors.of("list", location, e, settings);
    }
  }

  @Override
  public void delete(Location location) {
    try {
      blob(location, "delete").deleteIfExists();
    } catch (StorageException e) {
      throw e;
    } catch (RuntimeException e) {
      throw AzureErrors.of("delete", location, e, settings);
    }
  }

  @Override
  public Optional<Instant> lastModified(Location location) {
    return Optional.ofNullable(properties(location).getLastModified()).map(t -> t.toInstant());
  }

  @Override
  public void close() {
    uploads.shutdownNow();
  }
}
