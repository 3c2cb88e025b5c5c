namespace Ezio.Storage.Tests.TestSupport;

internal sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        // /var/tmp rather than /tmp: /tmp may be tmpfs, which has no O_DIRECT.
        Path = System.IO.Path.Combine(Directory.Exists("/var/tmp") ? "/var/tmp" : System.IO.Path.GetTempPath(),
            "ezio-storage-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException ex)
        {
            Console.Error.WriteLine($"WARNING: could not remove {Path}: {ex.Message}");
        }
    }
}
