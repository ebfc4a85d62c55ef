# Prints, as JSON, what Vagrant itself makes of a Vagrantfile: each machine's name, hostname, box,
# networks and provisioners. Used by harness/vagrant.integration.test.ts; reads no provider.
# Usage: ruby vagrant-config.rb DIR (the directory holding the Vagrantfile)
require 'vagrant'
require 'json'

env = Vagrant::Environment.new(cwd: ARGV.fetch(0))
machines = env.machine_names.map do |name|
  vm = env.vagrantfile.machine_config(name, nil, nil, nil, false)[:config].vm
  {
    name: name.to_s,
    hostname: vm.hostname,
    box: vm.box,
    networks: vm.networks.map { |type, opts| { type: type.to_s, ip: opts[:ip], netmask: opts[:netmask], mac: opts[:mac] } },
    provisioners: vm.provisioners.map { |p| { name: p.name.to_s, type: p.type.to_s, inline: p.config.inline } },
  }
end
puts JSON.generate(machines)
