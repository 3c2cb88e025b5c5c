namespace Ezio.TestKit.Files;

/// <summary>
/// A per-test directory under /var/tmp (not /tmp, which may be tmpfs: no O_DIRECT, and
/// backing files for loop devices should live on a real file system). Removed on dispose;
/// a straggler that cannot be removed is reported, not thrown.
/// </summary>
public sealed class TempDirectory : IDisposable
{
    public TempDirectory(string prefix = "ezio-test-")
    {
        Path = System.IO.Path.Combine(Directory.Exists("/var/tmp") ? "/var/tmp" : System.IO.Path.GetTempPath(),
            prefix + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    /// <summary>The path of <paramref name="name"/> inside this directory (not created).</summary>
    public string File(string name) => System.IO.Path.Combine(Path, name);

    public string this[string name] => File(name);

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    /// <summary>Creates (if needed) and returns the subdirectory <paramref name="name"/>.</summary>
    public string CreateSubdirectory(string name) => Directory.CreateDirectory(Combine(name)).FullName;

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A straggling child may still hold a file.
            Console.Error.WriteLine($"WARNING: could not remove {Path}: {e.Message}");
        }
    }
}
