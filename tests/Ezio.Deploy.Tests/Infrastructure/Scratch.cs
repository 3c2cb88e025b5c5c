namespace Ezio.Deploy.Tests.Infrastructure;

/// <summary>
/// A per-test directory under /var/tmp (not /tmp, which may be tmpfs: no O_DIRECT, and
/// backing files for loop devices should live on a real file system). Removed on dispose.
/// </summary>
internal sealed class Scratch : IDisposable
{
    public Scratch()
    {
        Path = System.IO.Path.Combine(System.IO.Directory.Exists("/var/tmp") ? "/var/tmp" : System.IO.Path.GetTempPath(),
            "ezio-deploy-" + Guid.NewGuid().ToString("N")[..12]);
        System.IO.Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string this[string name] => System.IO.Path.Combine(Path, name);

    public string Directory(string name) => System.IO.Directory.CreateDirectory(this[name]).FullName;

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Path, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"WARNING: could not remove {Path}: {e.Message}");
        }
    }
}
