// The tutorial's threading program (../shared/tutorial/threading_demo.py), line by line.
// Each line is written whole and flushed, so the order holds when the output is piped.
#include <chrono>
#include <cstdio>

#include <concurrence/threading.hpp>

namespace threading = concurrence::threading;
using namespace std::chrono_literals;

static void print(const char* line) {
    std::puts(line);
    std::fflush(stdout);
}

// Définir une fonction à exécuter dans un thread
static void dire_bonjour() {
    print("Bonjour!");
    concurrence::time::sleep(2s);  // Simule une tâche longue (time.sleep(2))
    print("Bonjour après 2 secondes!");
}

static void dire_au_revoir() {
    print("Au revoir!");
    concurrence::time::sleep(1s);  // Simule une tâche plus courte (time.sleep(1))
    print("Au revoir après 1 seconde!");
}

int main() {
    // Créer deux threads
    threading::Thread thread1(dire_bonjour);
    threading::Thread thread2(dire_au_revoir);

    // Démarrer les threads
    thread1.start();
    thread2.start();

    // Attendre que les threads se terminent avant de poursuivre
    thread1.join();
    thread2.join();

    print("Les deux threads sont terminés.");
}
