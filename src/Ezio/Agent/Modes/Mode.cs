using Ezio.Deployment.Contracts;

namespace Ezio.Agent.Modes;

/// <summary>
/// One phase of the agent's life. A mode does its work and names the next mode (null: the
/// agent's work is over). Modes hold no state of their own beyond the shared
/// <see cref="AgentContext"/>, so each can be driven alone in a test.
/// </summary>
internal abstract class Mode
{
    public abstract DeployPhase Phase { get; }

    public abstract Task<Mode?> RunAsync(AgentContext context, CancellationToken cancellationToken);
}
