namespace Ezio;

internal static class Program
{
    private static int Main(string[] args)
    {
        Console.Error.WriteLine("ezio: not built yet");
        return 2;
    }
}
