package io.tfgw.core.storage;

/** Another writer changed a file between the moment this one looked at it and the moment it committed. */
public class ConcurrentWriteException extends StorageException {
  private final Location location;

  public ConcurrentWriteException(Location location) {
    super(location + " was written by someone else while tfgw was writing it (another tfgw, a training job?); "
        + "this run's version was not published, theirs was kept. Check what is there, and run again if needed.");
    this.location = location;
  }

  public ConcurrentWriteException(Location location, String message) {
    super(message);
    this.location = location;
  }

  public Location location() {
    return location;
  }
}
