namespace Ezio.Server.Deployments;

/// <summary>Log lines of the admin's actions on a running room (2600-2609).</summary>
internal static partial class DeploymentActionsLog
{
    [LoggerMessage(EventId = 2600, Level = LogLevel.Information, Message = "Machine {Mac} of {Deployment}: retry requested by an admin")]
    public static partial void Retried(ILogger logger, string mac, string deployment);

    [LoggerMessage(EventId = 2601, Level = LogLevel.Information, Message = "Machine {Mac} replaced by {Replacement} by an admin")]
    public static partial void Replaced(ILogger logger, string mac, string replacement);

    [LoggerMessage(EventId = 2602, Level = LogLevel.Information, Message = "Admin action by {Actor} from {Address}: {Action} -> {Status}")]
    public static partial void Action(ILogger logger, string actor, string? address, string action, int status);
}
