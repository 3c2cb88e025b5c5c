using Ezio.Deployment.Contracts;

namespace Ezio.Server.Cli;

/// <summary>
/// `cancel` and `retry`: the dashboard's actions on a running deployment, from a shell. The
/// same admin API calls, so the server records them the same way (actor "cli:&lt;user&gt;").
/// </summary>
internal static class ActionCommands
{
    public const string CancelUsage = "ezio-server cancel <DEPLOYMENT> (ends it; machines not done boot from their disk again)" + AdminCommands.TokenUsage;
    public const string RetryUsage = "ezio-server retry <DEPLOYMENT> <MAC> (a failed machine gets its job again)" + AdminCommands.TokenUsage;

    public static async Task<int> CancelAsync(string[] args)
    {
        var cl = Options.Parse(args, AdminCommands.s_clientOptions);
        if (cl.Positionals.Count != 1 || !IsDeploymentId(cl.Positionals[0]))
        {
            throw new UsageException(CancelUsage);
        }
        var id = cl.Positionals[0];
        return await PostAsync(cl, "/api/v1/deployments/" + Uri.EscapeDataString(id) + "/cancel",
            $"cancelled {id}: its machines that were not done boot from their disk again").ConfigureAwait(false);
    }

    public static async Task<int> RetryAsync(string[] args)
    {
        var cl = Options.Parse(args, AdminCommands.s_clientOptions);
        if (cl.Positionals.Count != 2 || !IsDeploymentId(cl.Positionals[0]) || !MacAddress.TryNormalize(cl.Positionals[1], out var mac))
        {
            throw new UsageException(RetryUsage);
        }
        var id = cl.Positionals[0];
        return await PostAsync(cl, "/api/v1/deployments/" + Uri.EscapeDataString(id) + "/machines/" + Uri.EscapeDataString(mac) + "/retry",
            $"{mac} gets the job of {id} again at its next boot").ConfigureAwait(false);
    }

    private static async Task<int> PostAsync(Options cl, string path, string done)
    {
        using var http = AdminCommands.Client(cl);
        using var response = await http.PostAsync(path, null).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            await Console.Error.WriteLineAsync($"ezio-server: {(int)response.StatusCode}: {AdminCommands.ErrorText(text)}").ConfigureAwait(false);
            return 1;
        }
        Console.WriteLine(done);
        return 0;
    }

    private static bool IsDeploymentId(string text) =>
        text.Length is > 0 and <= 64 && text.All(c => char.IsAsciiLetterOrDigit(c) || c == '-');
}
