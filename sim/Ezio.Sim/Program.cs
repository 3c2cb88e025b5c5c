using Ezio.Sim;

return Cli.Run(args);
