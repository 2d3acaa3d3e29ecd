using BenchmarkDotNet.Running;
using CertPolicy.Benchmarks;

// "socketmap-load": the policy service's throughput and tail latency (SocketmapLoad); anything else is BenchmarkDotNet.
if (args.Length > 0 && args[0] == "socketmap-load")
{
    return SocketmapLoad.Run(args[1..]);
}

// "starttls-gateways": many loopback STARTTLS gateways for the scan benchmark (StartTlsGateways, benchmarks/scan/run.sh).
if (args.Length > 0 && args[0] == "starttls-gateways")
{
    return StartTlsGateways.Run(args[1..]);
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
