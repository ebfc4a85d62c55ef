# A stand-in for the VirtualBox provider, for harness/backends/ssh/vagrant.ssh.test.ts: no VM boots
# on the test machine, so each machine "runs" as one of the test's sshd hosts
# (VXLAB_TEST_VAGRANT_HOSTS: {"node0": {"host": ..., "port": ...}, ...}). Only what a provider
# reports is stood in: that the machine runs, and where its ssh port is. `vagrant ssh-config`,
# Machine#ssh_info (user, keys, host-key checking) and the ssh_config template are Vagrant's own.
require 'json'
require Vagrant.source_root.join('plugins', 'providers', 'virtualbox', 'provider').to_s

module VxlabStandInProvider
  HOSTS = JSON.parse(ENV.fetch('VXLAB_TEST_VAGRANT_HOSTS'))

  module Usable
    def usable?(*) = true
    def installed? = true
  end

  def self.prepended(base)
    base.singleton_class.prepend(Usable)
  end

  # No VirtualBox driver: there is no VBoxManage here.
  def machine_id_changed; end

  def state
    Vagrant::MachineState.new(:running, 'running', 'a vxlab test sshd host')
  end

  def ssh_info
    host = HOSTS.fetch(@machine.name.to_s)
    { host: host.fetch('host'), port: host.fetch('port') }
  end
end

VagrantPlugins::ProviderVirtualBox::Provider.prepend(VxlabStandInProvider)
